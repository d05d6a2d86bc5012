from celery import shared_task

from anxin.imports.services import customers_import_run


@shared_task(name="imports.customers_import")
def customers_import_task(job_id: int) -> str:
    """Thin wrapper: the service does the work and records the outcome on the job."""
    return customers_import_run(job_id=job_id).status
