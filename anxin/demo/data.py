"""Static tables for the demo world: places, network, catalog, names, phrases and the demo logins.

Division codes are the real 6-digit administrative-division codes (行政区划代码) as jionlp knows them;
``anxin/demo/tests/test_seed_demo.py`` checks every one against ``jionlp.china_location_loader()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PASSWORD = "anxin2026"  # noqa: S105 - documented demo password, printed by `manage.py demo_logins`

# --- places -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    name: str
    code: str
    streets: tuple[str, ...]
    weight: int = 10
    # County towns and villages: addresses are "<town><village>…" (market tier 2 / 3).
    towns: tuple[str, ...] = ()
    villages: tuple[str, ...] = ()


@dataclass(frozen=True)
class City:
    key: str
    province: str
    name: str  # 杭州市
    short: str  # 杭州
    code: str  # 4-digit city prefix, e.g. 3301
    area_code: str  # landline area code
    service_level: str
    weight: int
    districts: tuple[District, ...]
    region_address: str = ""


CITIES: tuple[City, ...] = (
    City(
        key="hz",
        province="浙江省",
        name="杭州市",
        short="杭州",
        code="3301",
        area_code="0571",
        service_level="A",
        weight=34,
        region_address="浙江省杭州市拱墅区莫干山路100号",
        districts=(
            District("西湖区", "330106", ("文三路", "文二路", "文一路", "天目山路", "古墩路", "教工路", "学院路", "西溪路"), 24),
            District("上城区", "330102", ("解放路", "望江东路", "秋涛北路", "建国南路", "清泰街", "钱江路"), 16),
            District("拱墅区", "330105", ("莫干山路", "湖墅南路", "登云路", "上塘路", "大关路", "石祥路"), 16),
            District("滨江区", "330108", ("江南大道", "滨盛路", "长河路", "江陵路", "网商路", "六和路"), 14),
            District("余杭区", "330110", ("文一西路", "五常大道", "良睦路", "荆长大道"), 14),
            District("桐庐县", "330122", ("迎春南路", "白云源路", "富春路"), 6, towns=("城南街道", "桐君街道")),
            District(
                "淳安县",
                "330127",
                ("新安东路", "环湖北路"),
                5,
                towns=("千岛湖镇", "梓桐镇", "威坪镇", "文昌镇"),
                villages=("梓桐村", "叶家村", "汪宅村", "王家源村", "上坊村"),
            ),
        ),
    ),
    City(
        key="nj",
        province="江苏省",
        name="南京市",
        short="南京",
        code="3201",
        area_code="025",
        service_level="B",
        weight=14,
        region_address="江苏省南京市鼓楼区中山北路200号",
        districts=(
            District("玄武区", "320102", ("中山路", "北京东路", "龙蟠中路", "太平北路"), 12),
            District("鼓楼区", "320106", ("中山北路", "湖南路", "广州路", "汉中门大街", "江东北路"), 14),
            District("秦淮区", "320104", ("中华路", "太平南路", "应天大街"), 10),
            District("江宁区", "320115", ("双龙大道", "胜太路", "天元中路", "利源中路"), 12),
        ),
    ),
    City(
        key="sz",
        province="广东省",
        name="深圳市",
        short="深圳",
        code="4403",
        area_code="0755",
        service_level="A",
        weight=14,
        region_address="广东省深圳市福田区益田路6001号",
        districts=(
            District("南山区", "440305", ("深南大道", "科技南十二路", "南海大道", "后海大道", "桃园路"), 14),
            District("福田区", "440304", ("福华路", "益田路", "红荔路", "华强北路", "彩田路"), 14),
            District("宝安区", "440306", ("宝安大道", "新安六路", "创业一路", "建安一路"), 10),
            District("龙岗区", "440307", ("龙岗大道", "布吉路", "龙翔大道"), 10),
        ),
    ),
    City(
        key="cd",
        province="四川省",
        name="成都市",
        short="成都",
        code="5101",
        area_code="028",
        service_level="B",
        weight=12,
        region_address="四川省成都市武侯区人民南路四段1号",
        districts=(
            District("武侯区", "510107", ("人民南路四段", "科华北路", "武侯祠大街", "玉林南路"), 14),
            District("锦江区", "510104", ("春熙路", "东大街", "红星路三段", "莲桂南路"), 12),
            District("成华区", "510108", ("建设路", "府青路", "二环路东二段"), 10),
            District("金牛区", "510106", ("一品天下大街", "金府路", "沙湾路"), 10),
            District("金堂县", "510121", ("金广路", "十里大道"), 5, towns=("赵镇", "淮口街道"), villages=("三星村", "白果村", "金龙村")),
        ),
    ),
    City(
        key="qd",
        province="山东省",
        name="青岛市",
        short="青岛",
        code="3702",
        area_code="0532",
        service_level="A",
        weight=14,
        region_address="山东省青岛市市北区延吉路88号",
        districts=(
            District("崂山区", "370212", ("海尔路", "株洲路", "松岭路", "秦岭路"), 14),
            District("市南区", "370202", ("东海西路", "闽江路", "彰化路"), 12),
            District("市北区", "370203", ("延吉路", "台东一路", "敦化路"), 12),
            District("黄岛区", "370211", ("长江中路", "井冈山路", "江山中路"), 10),
        ),
    ),
    City(
        key="wh",
        province="湖北省",
        name="武汉市",
        short="武汉",
        code="4201",
        area_code="027",
        service_level="C",
        weight=12,
        region_address="湖北省武汉市江汉区建设大道568号",
        districts=(
            District("洪山区", "420111", ("珞喻路", "鲁磨路", "雄楚大道", "关山大道"), 14),
            District("武昌区", "420106", ("中北路", "武珞路", "和平大道", "徐东大街"), 12),
            District("江汉区", "420103", ("解放大道", "建设大道", "新华路", "青年路"), 12),
            District("江岸区", "420102", ("沿江大道", "中山大道", "黄浦大街"), 10),
            District("江夏区", "420115", ("文化大道", "纸坊大街"), 5),
        ),
    ),
)
CITY_BY_KEY = {c.key: c for c in CITIES}

HQ_ADDRESS = ("山东省青岛市崂山区海尔路1号", "370212", "青岛市")

ESTATE_HEADS = (
    "翠苑",
    "金都",
    "锦绣",
    "阳光",
    "丽景",
    "华府",
    "嘉园",
    "名苑",
    "世纪",
    "绿城",
    "春江",
    "香樟",
    "紫荆",
    "枫林",
    "玉兰",
    "桂花",
    "东方",
    "时代",
    "和家",
    "锦华",
)
ESTATE_TAILS = ("花园", "家园", "小区", "公寓", "新村", "华庭", "名邸", "雅苑")

# Market-tier rules configured in the demo (the rest falls back to the district-name default).
MARKET_TIER_RULES = (("330127", 3, "淳安县山区，三级市场"), ("510121", 2, "金堂县，二级市场"))

# --- network ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutletDef:
    code: str
    name: str
    kind: str  # authorized | star | community | technical
    district: str  # seat
    street: str
    coverage: tuple[tuple[str, str | None], ...]  # (division prefix, category code or None)
    status: str = "active"


OUTLETS: dict[str, tuple[OutletDef, ...]] = {
    "hz": (
        OutletDef("O-HZ-01", "杭州西湖特约服务网点", "authorized", "西湖区", "文三路", (("330106", None), ("330108", None))),
        OutletDef("O-HZ-02", "杭州上城星级服务中心", "star", "上城区", "解放路", (("330102", None), ("330105", None))),
        OutletDef("O-HZ-03", "杭州余杭社区营销服务一体中心", "community", "余杭区", "五常大道", (("330110", None),)),
        OutletDef("O-HZ-04", "杭州工程技术服务中心", "technical", "拱墅区", "石祥路", (("3301", "AC"), ("3301", "WH"))),
        OutletDef("O-HZ-05", "桐庐特约服务网点", "authorized", "桐庐县", "迎春南路", (("330122", None),), status="probation"),
        OutletDef("O-HZ-06", "萧山特约服务网点", "authorized", "萧山区", "人民路", (("330109", None),), status="applied"),
    ),
    "nj": (
        OutletDef("O-NJ-01", "南京玄武星级服务中心", "star", "玄武区", "珠江路", (("320102", None), ("320104", None))),
        OutletDef("O-NJ-02", "南京鼓楼特约服务网点", "authorized", "鼓楼区", "湖南路", (("320106", None),)),
        OutletDef("O-NJ-03", "南京江宁社区营销服务一体中心", "community", "江宁区", "胜太路", (("320115", None),)),
        OutletDef("O-NJ-04", "南京技术服务中心", "technical", "秦淮区", "应天大街", (("3201", None),)),
    ),
    "sz": (
        OutletDef("O-SZ-01", "深圳南山星级服务中心", "star", "南山区", "南海大道", (("440305", None),)),
        OutletDef("O-SZ-02", "深圳福田特约服务网点", "authorized", "福田区", "红荔路", (("440304", None),)),
        OutletDef("O-SZ-03", "深圳宝安特约服务网点", "authorized", "宝安区", "建安一路", (("440306", None), ("440307", None))),
        OutletDef("O-SZ-04", "深圳技术服务中心", "technical", "福田区", "彩田路", (("4403", "AC"),)),
    ),
    "cd": (
        OutletDef("O-CD-01", "成都武侯特约服务网点", "authorized", "武侯区", "科华北路", (("510107", None), ("510104", None))),
        OutletDef("O-CD-02", "成都锦江星级服务中心", "star", "锦江区", "东大街", (("510104", None), ("510108", None))),
        OutletDef("O-CD-03", "成都金牛社区营销服务一体中心", "community", "金牛区", "金府路", (("510106", None),)),
        OutletDef("O-CD-04", "金堂特约服务网点", "authorized", "金堂县", "金广路", (("510121", None),)),
    ),
    "qd": (
        OutletDef("O-QD-01", "青岛崂山星级服务中心", "star", "崂山区", "株洲路", (("370212", None),)),
        OutletDef("O-QD-02", "青岛市南特约服务网点", "authorized", "市南区", "闽江路", (("370202", None), ("370203", None))),
        OutletDef("O-QD-03", "青岛黄岛社区营销服务一体中心", "community", "黄岛区", "长江中路", (("370211", None),)),
        OutletDef("O-QD-04", "青岛技术服务中心", "technical", "市北区", "敦化路", (("3702", None),)),
    ),
    "wh": (
        OutletDef("O-WH-01", "武汉洪山特约服务网点", "authorized", "洪山区", "珞喻路", (("420111", None), ("420106", None))),
        OutletDef("O-WH-02", "武汉江汉星级服务中心", "star", "江汉区", "新华路", (("420103", None), ("420102", None))),
        OutletDef("O-WH-03", "武汉技术服务中心", "technical", "武昌区", "中北路", (("4201", "AC"), ("4201", "WH"))),
    ),
}
ROUTABLE_STATUSES = ("active", "probation")
# Seats of outlets in districts that no customer lives in.
EXTRA_DISTRICT_CODES = {("hz", "萧山区"): "330109"}
# How long ago each outlet joined the network (days); the probationary and applied ones are new.
OUTLET_AGE_DAYS = {"probation": 40, "applied": 6}

# Dealers (经销商): code, name, city key, district, street.
DEALERS = (
    ("D-HZ-01", "国美电器杭州文三路店", "hz", "西湖区", "文三路"),
    ("D-HZ-02", "苏宁易购杭州庆春店", "hz", "上城区", "解放路"),
    ("D-NJ-01", "苏宁易购南京新街口店", "nj", "秦淮区", "中华路"),
    ("D-SZ-01", "国美电器深圳华强北店", "sz", "福田区", "华强北路"),
    ("D-CD-01", "苏宁易购成都春熙路店", "cd", "锦江区", "春熙路"),
    ("D-QD-01", "国美电器青岛台东店", "qd", "市北区", "台东一路"),
    ("D-WH-01", "工贸家电武汉武广店", "wh", "江汉区", "解放大道"),
)
ONLINE_STORES = ("京东自营旗舰店", "天猫官方旗舰店", "拼多多品牌店", "品牌官方商城")

# --- catalog ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryDef:
    code: str
    name: str
    warranty_months: int
    main_parts_months: int
    models: tuple[tuple[str, str, bool], ...]  # (model code, name, high-end)
    faults: tuple[tuple[str, str, int, str], ...]  # (code, name, difficulty, usual resolution)
    service_codes: tuple[tuple[str, str, int, str], ...] = field(default=())


def _service_codes(cat: str, install_difficulty: int = 1) -> tuple[tuple[str, str, int, str], ...]:
    """Non-fault completion codes every category has: install, maintenance, inspection."""
    return (
        (f"{cat}-S01", "新机安装调试", install_difficulty, "按规范安装调试，安全测电合格，讲解使用方法"),
        (f"{cat}-S02", "清洗保养", 1, "整机清洗保养，检查各部件运行正常"),
        (f"{cat}-S03", "上门检测无故障", 1, "上门检测运行正常，指导用户正确使用"),
        (f"{cat}-S05", "鉴定质量问题办理退换", 1, "出具质量鉴定，办理换机手续"),
    )


CATEGORIES: tuple[CategoryDef, ...] = (
    CategoryDef(
        "REF",
        "冰箱",
        36,
        120,
        (
            ("BCD-470WDPG", "470升法式多门冰箱", True),
            ("BCD-216STPT", "216升三门冰箱", False),
            ("BCD-539WDCO", "539升对开门冰箱", False),
            ("BCD-328WDPD", "328升十字对开门冰箱", False),
            ("BCD-651WDGK", "651升全空间保鲜冰箱", True),
        ),
        (
            ("REF-01", "不制冷", 3, "检漏补充冷媒，恢复制冷"),
            ("REF-02", "制冷效果差", 2, "清理冷凝器，调整温控设置"),
            ("REF-03", "噪音大", 2, "调整箱体水平，更换压缩机减震垫"),
            ("REF-04", "冷藏室漏水", 1, "疏通排水孔"),
            ("REF-05", "门封不严", 1, "更换门封条"),
            ("REF-06", "冷冻室结霜严重", 2, "更换化霜加热丝"),
            ("REF-07", "显示屏不亮", 3, "更换显示板"),
            ("REF-08", "主板故障", 4, "更换主控板"),
            ("REF-09", "压缩机故障", 5, "更换压缩机，抽真空加注冷媒"),
        ),
        _service_codes("REF"),
    ),
    CategoryDef(
        "WM",
        "洗衣机",
        36,
        120,
        (
            ("EG100MATE81SU1", "10公斤直驱滚筒洗衣机", True),
            ("EG10014B39GU1", "10公斤变频滚筒洗衣机", False),
            ("XQB90-Z1269", "9公斤波轮洗衣机", False),
            ("EG100HMATE71S", "10公斤洗烘一体机", True),
            ("XQS100-BZ866", "10公斤双动力波轮洗衣机", False),
        ),
        (
            ("WM-01", "不进水", 1, "清洗进水阀滤网"),
            ("WM-02", "不排水", 1, "清理排水泵异物"),
            ("WM-03", "不脱水", 2, "调整衣物平衡，更换门锁开关"),
            ("WM-04", "漏水", 2, "更换门封圈"),
            ("WM-05", "噪音大", 2, "拆除运输螺栓，调整底脚"),
            ("WM-06", "不通电", 3, "更换电源板"),
            ("WM-07", "门锁故障", 2, "更换门锁"),
            ("WM-08", "电机故障", 4, "更换直驱电机"),
            ("WM-09", "主板故障", 4, "更换主控板"),
        ),
        _service_codes("WM"),
    ),
    CategoryDef(
        "AC",
        "空调",
        72,
        72,
        (
            ("KFR-35GW/BpR3", "1.5匹变频挂式空调", False),
            ("KFR-26GW/BpNAA", "大1匹变频挂式空调", False),
            ("KFR-50LW/BpR3", "2匹变频立柜式空调", False),
            ("KFR-72LW/07EDS81", "3匹变频立柜式空调", True),
            ("RFC140MXSAVA", "家用中央空调多联机", True),
        ),
        (
            ("AC-01", "不制冷", 3, "检漏补氟，恢复制冷"),
            ("AC-02", "不制热", 3, "更换四通阀线圈"),
            ("AC-03", "室内机漏水", 1, "疏通冷凝水管，调整坡度"),
            ("AC-04", "噪音大", 2, "紧固外机支架，更换风扇电机"),
            ("AC-05", "遥控失灵", 1, "更换遥控器接收板"),
            ("AC-06", "外机不启动", 4, "更换外机电容"),
            ("AC-07", "冷媒泄漏", 4, "焊补漏点，抽真空加注冷媒"),
            ("AC-08", "主板故障", 4, "更换室外机主板"),
            ("AC-09", "压缩机故障", 5, "更换压缩机"),
            ("AC-10", "通讯故障", 4, "更换内外机连接线"),
        ),
        _service_codes("AC", install_difficulty=2) + (("AC-S04", "中央空调工程安装调试", 4, "多联机安装调试完成，系统试运行合格"),),
    ),
    CategoryDef(
        "WH",
        "热水器",
        36,
        96,
        (
            ("ES60H-TM1", "60升储水式电热水器", False),
            ("ES80H-GM5", "80升速热电热水器", False),
            ("JSQ25-13WN3", "13升燃气热水器", False),
            ("JSQ31-16KL7", "16升零冷水燃气热水器", True),
            ("KF80/200-AE", "200升空气能热水器", True),
        ),
        (
            ("WH-01", "不加热", 3, "更换加热管"),
            ("WH-02", "漏水", 2, "更换进水接头密封圈"),
            ("WH-03", "漏电保护跳闸", 3, "更换漏电保护插头，检测接地"),
            ("WH-04", "出水温度不稳", 2, "更换温度传感器"),
            ("WH-05", "点火失败", 3, "更换点火针"),
            ("WH-06", "使用中熄火", 3, "清洗燃气比例阀"),
            ("WH-07", "主板故障", 4, "更换控制板"),
            ("WH-08", "内胆漏水", 5, "更换内胆"),
        ),
        _service_codes("WH"),
    ),
    CategoryDef(
        "FZ",
        "冷柜",
        12,
        36,
        (
            ("BC/BD-203HTD", "203升家用冷柜", False),
            ("BC/BD-429HEM", "429升商用冷柜", False),
            ("SC-340DS", "340升商用展示柜", True),
        ),
        (
            ("FZ-01", "不制冷", 3, "检漏补充冷媒"),
            ("FZ-02", "结冰严重", 2, "更换门封条，指导除霜"),
            ("FZ-03", "温控器故障", 3, "更换温控器"),
            ("FZ-04", "噪音大", 2, "调整水平，紧固管路"),
            ("FZ-05", "压缩机故障", 5, "更换压缩机"),
        ),
        _service_codes("FZ"),
    ),
    CategoryDef(
        "TV",
        "电视",
        12,
        36,
        (
            ("LU55C51", "55英寸4K智能电视", False),
            ("LU65X81", "65英寸量子点电视", True),
            ("LE43A31", "43英寸全高清电视", False),
            ("LU75J71", "75英寸智慧屏", True),
        ),
        (
            ("TV-01", "无图像", 3, "更换T-CON板"),
            ("TV-02", "无声音", 2, "更换喇叭"),
            ("TV-03", "黑屏", 3, "更换电源板"),
            ("TV-04", "遥控失灵", 1, "重新配对遥控器"),
            ("TV-05", "屏幕花屏", 4, "更换屏幕组件"),
            ("TV-06", "网络连接失败", 1, "重置网络设置，升级系统"),
            ("TV-07", "主板故障", 4, "更换主板"),
        ),
        _service_codes("TV"),
    ),
)
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}
# How often each category shows up among customers' appliances.
CATEGORY_WEIGHTS = {"REF": 24, "WM": 22, "AC": 26, "WH": 16, "FZ": 4, "TV": 8}

# --- people -----------------------------------------------------------------------------------

SURNAMES = (
    ("王", 72),
    ("李", 71),
    ("张", 68),
    ("刘", 54),
    ("陈", 46),
    ("杨", 32),
    ("黄", 25),
    ("赵", 20),
    ("吴", 20),
    ("周", 19),
    ("徐", 15),
    ("孙", 15),
    ("马", 12),
    ("朱", 12),
    ("胡", 11),
    ("郭", 11),
    ("何", 10),
    ("林", 10),
    ("高", 10),
    ("罗", 9),
    ("郑", 9),
    ("梁", 8),
    ("谢", 7),
    ("宋", 6),
    ("唐", 6),
    ("许", 6),
    ("韩", 6),
    ("冯", 5),
    ("邓", 5),
    ("曹", 5),
    ("彭", 5),
    ("曾", 5),
    ("肖", 5),
    ("田", 5),
    ("董", 5),
    ("潘", 4),
    ("袁", 4),
    ("蔡", 4),
    ("蒋", 4),
    ("余", 4),
    ("于", 4),
    ("杜", 4),
    ("叶", 4),
    ("程", 3),
    ("魏", 3),
    ("苏", 3),
    ("吕", 3),
    ("丁", 3),
    ("任", 3),
    ("沈", 3),
    ("姚", 3),
    ("卢", 3),
    ("钟", 3),
    ("姜", 3),
    ("崔", 2),
    ("谭", 2),
    ("陆", 2),
    ("汪", 2),
    ("范", 2),
    ("金", 2),
    ("石", 2),
    ("廖", 2),
    ("贾", 2),
    ("夏", 2),
    ("方", 2),
    ("邹", 2),
    ("熊", 2),
    ("孟", 2),
    ("秦", 2),
    ("邱", 2),
    ("欧阳", 1),
    ("司马", 1),
    ("诸葛", 1),
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳成建国志文海峰亮东晨博轩航鸣"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪慧莹晶欣颖琳洁倩丹萍红梅兰玉佳雨怡涵彤萱晴"
COMMON_GIVEN_MALE = ("志国", "建华", "海涛", "建军", "志强", "国庆", "永刚", "文博", "浩然", "子轩", "宇航", "一鸣", "俊杰", "晓东", "明辉")
COMMON_GIVEN_FEMALE = (
    "秀英",
    "桂英",
    "晓燕",
    "丽娟",
    "春梅",
    "玉兰",
    "雅琴",
    "梓涵",
    "诗涵",
    "欣怡",
    "思彤",
    "紫萱",
    "雨欣",
    "婷婷",
    "丽华",
)
# Whole given names that real 2-character names use often (张伟, 王芳, 李娜 …).
COMMON_SINGLE_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞波浩凯健俊帆亮东"
COMMON_SINGLE_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪慧莹晶颖琳洁倩丹萍红梅"

MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
]

# --- phrases ----------------------------------------------------------------------------------

SYMPTOM_DETAILS = ("，已持续两三天", "，比较着急", "，希望尽快上门", "，上午在家", "，家里有老人", "", "", "")
REJECT_REASONS = ("本网点暂无该品类持证技师", "地址超出本网点服务半径", "用户电话无法接通，地址不详")
CANCEL_REASONS = ("用户已自行解决", "用户取消服务", "重复报修，已合并处理", "用户改约后不再需要上门")
CALLBACK_COMMENTS_GOOD = ("师傅很专业，已修好", "上门准时，服务态度好", "讲解很耐心，还帮忙检查了其他家电", "维修及时，很满意", "")
CALLBACK_COMMENTS_BAD = ("上门迟到两小时", "问题未彻底解决，仍有异响", "师傅未穿鞋套，现场未清理", "收费未提前说明")
ORDER_DESCRIPTIONS = {
    "install": "新机送货后安装，用户已约定时间",
    "maintenance": "用户预约清洗保养",
    "inspection": "通检：检查家中全部家电运行情况",
    "design_survey": "装修前上门设计勘测，确定空调/热水器安装位置",
    "return_exchange": "用户反映新机质量问题，申请换机",
    "project": "工程项目批量安装",
}

# --- demo logins ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    role_zh: str
    role_en: str
    unit: str  # "HQ", a region key ("hz"), an outlet code or a dealer code
    display_name: str
    try_first: str
    extension: str = ""


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "admin",
        "hq_manager",
        "顾客服务部经理",
        "HQ service manager",
        "HQ",
        "陈建华",
        "All orders nationwide; the probationary and applied outlets (网点审批)",
    ),
    DemoLogin("techlead", "tech_lead", "技术负责人", "Technical lead", "HQ", "刘志强", "Fault codes and difficulty levels per category"),
    DemoLogin("quality", "quality", "服务质量专员", "Service-quality specialist", "HQ", "孙丽", "Callbacks and satisfaction by outlet"),
    DemoLogin("settlement", "settlement", "结算科", "Settlement clerk", "HQ", "周敏", "Closed orders per outlet (settlement basis)"),
    DemoLogin(
        "director",
        "region_director",
        "地区中心主任",
        "Regional center director",
        "hz",
        "王建国",
        "杭州 region: outlets, open and overdue orders",
    ),
    DemoLogin(
        "agent",
        "agent",
        "咨询员（400热线）",
        "Call-center agent",
        "hz",
        "李静",
        "Find a customer by phone/name/address, register a repair order",
        "8012",
    ),
    DemoLogin(
        "callback", "callback_agent", "回访员", "Callback agent", "hz", "赵婷", "Completed 杭州 orders waiting for the 72 h callback"
    ),
    DemoLogin("parts", "parts_clerk", "物管员", "Parts clerk", "hz", "吴刚", "杭州 region orders and appliances"),
    DemoLogin(
        "dispatcher",
        "outlet_manager",
        "网点经理/调度",
        "Outlet manager / dispatcher",
        "O-HZ-01",
        "钱伟",
        "杭州西湖特约服务网点: accept routed orders, assign a technician",
    ),
    DemoLogin(
        "tech",
        "technician",
        "服务工程师（A级）",
        "Technician (grade A)",
        "O-HZ-01",
        "郑海涛",
        "Today's jobs: check in, complete with a fault code",
    ),
    DemoLogin(
        "dealer",
        "dealer",
        "经销商/导购员",
        "Dealer / sales guide",
        "D-HZ-01",
        "冯晓燕",
        "Register a sale: customer + appliance + install order",
    ),
)
DEMO_TECH_GRADE = "A"

# --- side states of a work order (issue 4) ----------------------------------------------------------

PHONE_RESOLUTIONS = (
    "电话指导用户重新设置模式后恢复正常",
    "指导用户清洗滤网后制冷恢复",
    "指导用户复位漏电保护开关，已正常使用",
    "用户未开启童锁解除，电话指导后正常",
)
PENDING_PARTS_REASONS = (
    "主控板损坏，已申请备件，待件上门",
    "压缩机启动电容需更换，网点无库存",
    "门封条老化，需订购同型号配件",
    "加热管烧毁，待总部调拨配件",
)
REVISIT_REASONS = (
    "用户家中无人配合，需另约时间二次上门",
    "需携带检漏仪复查冷媒泄漏点",
    "墙体打孔需物业同意，改约再上门",
)
UNSAFE_WIRING_NOTES = (
    "插座无接地线，零火线接反，已告知用户整改后再约安装",
    "电源线径不足（1.5 mm²），不满足空调专线要求",
    "电表箱无漏电保护器，存在触电风险",
)

# --- spare parts and labour items (备件、工时) per category: (code, name, main part, unit price) ---

SPARE_PARTS = {
    "REF": (
        ("REF-P01", "变频压缩机", True, "680.00"),
        ("REF-P02", "主控板", False, "260.00"),
        ("REF-P03", "门封条", False, "85.00"),
        ("REF-P04", "温度传感器", False, "35.00"),
    ),
    "WM": (
        ("WM-P01", "直驱电机", True, "520.00"),
        ("WM-P02", "排水泵", False, "95.00"),
        ("WM-P03", "电脑板", False, "240.00"),
        ("WM-P04", "门锁开关", False, "45.00"),
    ),
    "AC": (
        ("AC-P01", "变频压缩机", True, "980.00"),
        ("AC-P02", "室外机主板", False, "360.00"),
        ("AC-P03", "R32冷媒（每千克）", False, "120.00"),
        ("AC-P04", "启动电容", False, "40.00"),
        ("AC-P05", "排水管（米）", False, "8.00"),
    ),
    "WH": (
        ("WH-P01", "内胆", True, "450.00"),
        ("WH-P02", "加热管", False, "110.00"),
        ("WH-P03", "镁棒", False, "38.00"),
        ("WH-P04", "温控器", False, "65.00"),
    ),
    "FZ": (
        ("FZ-P01", "压缩机", True, "560.00"),
        ("FZ-P02", "温控器", False, "55.00"),
        ("FZ-P03", "门封条", False, "70.00"),
    ),
    "TV": (
        ("TV-P01", "液晶屏组件", True, "1680.00"),
        ("TV-P02", "电源板", False, "210.00"),
        ("TV-P03", "遥控器", False, "45.00"),
    ),
}
# (code, name, price): the labour a repair charges out of warranty.
LABOUR_ITEMS = {
    "REF": (("REF-L01", "上门检测费", "50.00"), ("REF-L02", "更换压缩机工时", "200.00"), ("REF-L03", "加注冷媒工时", "120.00")),
    "WM": (("WM-L01", "上门检测费", "50.00"), ("WM-L02", "更换电机工时", "120.00"), ("WM-L03", "滚筒清洗", "80.00")),
    "AC": (("AC-L01", "上门检测费", "50.00"), ("AC-L02", "焊接补漏工时", "180.00"), ("AC-L03", "移机工时", "260.00")),
    "WH": (("WH-L01", "上门检测费", "50.00"), ("WH-L02", "更换加热管工时", "90.00"), ("WH-L03", "清洗除垢", "100.00")),
    "FZ": (("FZ-L01", "上门检测费", "50.00"), ("FZ-L02", "更换压缩机工时", "180.00")),
    "TV": (("TV-L01", "上门检测费", "50.00"), ("TV-L02", "更换屏幕工时", "150.00")),
}
EXTENDED_WARRANTY_NOTES = ("购机时加购延保三年", "以旧换新活动赠送延保两年")
