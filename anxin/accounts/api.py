from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    org_unit: str | None
    org_kind: str | None


@router.get("/me", response=MeOut)
def me(request):
    user = request.auth
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=str(user),
        role=user.role,
        org_unit=user.org_unit.name if user.org_unit else None,
        org_kind=user.org_unit.kind if user.org_unit else None,
    )
