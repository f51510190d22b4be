"""Write marketplace/seed/demo_cluster.toml: the demo cluster's fictional companies in real places.

The tables below are the curated part: towns and their industrial zones (WGS84 centres read off
public maps, converted from GCJ-02), the industries that really cluster there (长安: moulds and
hardware; 虎门: garments; 厚街: shoes and furniture; 大岭山: furniture and printing; 松山湖:
electronics and batteries), each industry's typical waste streams and monthly tonnes, and the
recyclers that buy them. Company names are invented. Output is deterministic (fixed seed).
Run: .venv/bin/python scripts/make_demo_cluster.py
"""

from __future__ import annotations

import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "marketplace" / "seed" / "demo_cluster.toml"
RNG = random.Random(20261124)

PARKS = [  # code, zh, en, lat, lon — industrial zones, WGS84
    ("CA", "长安镇工业区（乌沙、锦厦、霄边）", "Chang'an industrial zones", 22.8085, 113.8115),
    ("HM", "虎门镇工业区（北栅、大宁、怀德）", "Humen industrial zones", 22.8275, 113.6905),
    ("HJ", "厚街镇工业区（赤岭、三屯）", "Houjie industrial zones", 22.9300, 113.6790),
    ("DLS", "大岭山镇工业区（连平、矮岭冚）", "Dalingshan industrial zones", 22.8960, 113.7930),
    ("SSL", "松山湖高新技术产业开发区", "Songshan Lake high-tech zone", 22.9230, 113.8880),
]
TOWN_ZH = {"CA": "长安", "HM": "虎门", "HJ": "厚街", "DLS": "大岭山", "SSL": "松山湖"}
ROADS = {
    "CA": ["乌沙兴发南路", "锦厦振安中路", "霄边第二工业区", "沙头南区工业路", "上沙新安工业园"],
    "HM": ["北栅东坊工业区", "大宁工业路", "怀德社区工业大道", "白沙工业区", "路东工业区"],
    "HJ": ["赤岭工业区", "三屯工业区", "双岗工业路", "白濠工业区"],
    "DLS": ["连平工业区", "矮岭冚工业路", "大塘朗工业区", "杨屋工业区"],
    "SSL": ["工业东路", "科技九路", "研发二路", "总部二路"],
}
# industry: GB/T 4754-2017 class, name, towns, waste streams (grade, t/month)
INDUSTRIES = {
    "mould": ("C3525", "模具制造", ["CA"], [("FE-TURN", 12), ("NF-AL-TURN", 2), ("PA-OCC", 1.5)]),
    "stamping": (
        "C3399",
        "其他未列明金属制品制造（五金冲压）",
        ["CA", "DLS"],
        [("FE-STAMP", 35), ("FE-LIGHT", 6), ("PA-OCC", 2)],
    ),
    "electronics": (
        "C3971",
        "电子元件及组件制造（SMT 贴片组装）",
        ["CA", "SSL"],
        [("EE-PCB", 1.2), ("EE-PCB-BARE", 3), ("PA-OCC", 8), ("PL-PE-FILM", 1.5)],
    ),
    "pcb": (
        "C3982",
        "电子电路制造",
        ["SSL", "CA"],
        [("EE-PCB-BARE", 10), ("NF-CU-MIX", 1.5), ("PA-OCC", 3)],
    ),
    "injection": (
        "C2929",
        "塑料零件及其他塑料制品制造（注塑）",
        ["CA", "HJ", "DLS"],
        [("PL-PP-REGRIND", 8), ("PL-ABS-REGRIND", 5), ("PA-OCC", 2.5)],
    ),
    "garment": (
        "C1811",
        "机织服装制造",
        ["HM"],
        [("TX-COTTON", 6), ("TX-POLY", 4), ("PA-TUBE", 1), ("PA-OCC", 2)],
    ),
    "denim": ("C1811", "机织服装制造（牛仔）", ["HM"], [("TX-DENIM", 8), ("PA-OCC", 1.5)]),
    "knit": (
        "C1819",
        "其他机织服装制造（针织、混纺）",
        ["HM"],
        [("TX-BLEND", 5), ("PL-PE-FILM", 1)],
    ),
    "shoes": ("C1952", "塑料鞋制造", ["HJ"], [("TX-LEATHER", 3), ("TY-RUBBER", 2), ("PA-OCC", 3)]),
    "furniture": (
        "C2110",
        "木质家具制造",
        ["DLS", "HJ"],
        [("PA-OCC", 4), ("FE-LIGHT", 1.5), ("PL-PE-FILM", 1.2)],
    ),
    "printing": (
        "C2319",
        "包装装潢及其他印刷",
        ["DLS", "HJ"],
        [("PA-WHITE-EDGE", 10), ("PA-OCC", 3)],
    ),
    "carton": (
        "C2231",
        "纸和纸板容器制造",
        ["CA", "HM", "DLS"],
        [("PA-CORR-EDGE", 55), ("PA-OCC", 8), ("PA-TUBE", 2)],
    ),
    "diecast": (
        "C3392",
        "有色金属铸造（铝、锌合金压铸）",
        ["CA", "DLS"],
        [("NF-AL-DIE", 15), ("NF-ZN-DIE", 3), ("PA-OCC", 1)],
    ),
    "cable": ("C3831", "电线、电缆制造", ["HM"], [("EE-CABLE", 6), ("NF-CU-BRIGHT", 3)]),
    "motor": (
        "C3812",
        "电动机制造",
        ["DLS", "CA"],
        [("EE-MOTOR", 2), ("FE-STAMP", 10), ("NF-CU-MIX", 2)],
    ),
    "battery": (
        "C3841",
        "锂离子电池制造",
        ["SSL"],
        [("BA-LI", 4), ("NF-AL-TURN", 1), ("PA-OCC", 2)],
    ),
    "glass": ("C3049", "其他玻璃制品制造", ["HJ"], [("GL-CLEAR", 8), ("GL-FLAT", 3)]),
    "tobacco": (
        "C1620",
        "卷烟制造",
        ["DLS"],
        [("PA-TOBACCO", 9), ("PA-OCC", 14), ("PL-PE-FILM", 2.5)],
    ),
    "warehouse": (
        "C3434",
        "连续搬运设备制造（叉车）",
        ["HM"],
        [("BA-LEAD", 1.5), ("TY-FORKLIFT", 2), ("VE-FORKLIFT", 3), ("FE-HMS", 8)],
    ),
}
MIX = (
    ["mould"] * 3
    + ["stamping"] * 4
    + ["electronics"] * 4
    + ["pcb"] * 2
    + ["injection"] * 5
    + ["garment"] * 4
    + ["denim"] * 2
    + ["knit"] * 2
    + ["shoes"] * 3
    + ["furniture"] * 3
    + ["printing"] * 2
    + ["carton"] * 3
    + ["diecast"] * 2
    + ["cable"]
    + ["motor"] * 2
    + ["battery"] * 2
    + ["glass"]
    + ["tobacco"]
    + ["warehouse"]
)
SURNAMES = "王李张刘陈杨黄赵吴周"
WORDS = list(
    "恒润金盛永达宏信华兴立丰嘉利鑫源兆丰瑞德昌旭日海晟诚裕盈科汇成新泰通长广隆锦荣振美天富创捷宝顺安合万卓博明和"
)
SUFFIX = {
    "mould": "精密模具",
    "stamping": "五金制品",
    "electronics": "电子科技",
    "pcb": "电路科技",
    "injection": "塑胶制品",
    "garment": "服饰",
    "denim": "制衣",
    "knit": "针织",
    "shoes": "鞋业",
    "furniture": "家具",
    "printing": "印刷包装",
    "carton": "纸品包装",
    "diecast": "压铸",
    "cable": "电线电缆",
    "motor": "电机",
    "battery": "新能源科技",
    "glass": "玻璃制品",
    "tobacco": "卷烟厂",
    "warehouse": "仓储设备",
}
EN = {
    "mould": "Precision Mould",
    "stamping": "Hardware",
    "electronics": "Electronics",
    "pcb": "Circuit Technology",
    "injection": "Plastic Products",
    "garment": "Apparel",
    "denim": "Garments",
    "knit": "Knitwear",
    "shoes": "Footwear",
    "furniture": "Furniture",
    "printing": "Printing & Packaging",
    "carton": "Paper Packaging",
    "diecast": "Die Casting",
    "cable": "Wire & Cable",
    "motor": "Motor",
    "battery": "New Energy Technology",
    "glass": "Glass Products",
    "tobacco": "Cigarette Factory",
    "warehouse": "Handling Equipment",
}
PINYIN = dict(
    zip(
        WORDS,
        [
            "Heng",
            "Run",
            "Jin",
            "Sheng",
            "Yong",
            "Da",
            "Hong",
            "Xin",
            "Hua",
            "Xing",
            "Li",
            "Feng",
            "Jia",
            "Li",
            "Xin",
            "Yuan",
            "Zhao",
            "Feng",
            "Rui",
            "De",
            "Chang",
            "Xu",
            "Ri",
            "Hai",
            "Sheng",
            "Cheng",
            "Yu",
            "Ying",
            "Ke",
            "Hui",
            "Cheng",
            "Xin",
            "Tai",
            "Tong",
            "Chang",
            "Guang",
            "Long",
            "Jin",
            "Rong",
            "Zhen",
            "Mei",
            "Tian",
            "Fu",
            "Chuang",
            "Jie",
            "Bao",
            "Shun",
            "An",
            "He",
            "Wan",
            "Zhuo",
            "Bo",
            "Ming",
            "He",
        ],
        strict=False,
    )
)
RECYCLERS = [  # key, name, en, lat, lon, address, issuer, licence, families, hw, t/month, radius
    (
        "r01",
        "东莞市麻涌恒纸纸业有限公司",
        "Machong Hengzhi Paper Co., Ltd.",
        23.0472,
        113.5862,
        "广东省东莞市麻涌镇新沙工业园",
        "东莞市商务局（再生资源回收经营者备案）",
        "DGZS-2023-0318",
        ["PA"],
        [],
        3000,
        120,
    ),
    (
        "r02",
        "东莞市樟木头塑新再生资源有限公司",
        "Zhangmutou Suxin Recycling Co., Ltd.",
        22.9135,
        114.0735,
        "广东省东莞市樟木头镇塑胶原料市场工业区",
        "东莞市商务局（再生资源回收经营者备案）",
        "DGZS-2022-0141",
        ["PL"],
        [],
        900,
        80,
    ),
    (
        "r03",
        "东莞市长安鑫铁再生资源回收有限公司",
        "Chang'an Xintie Metal Recycling Co., Ltd.",
        22.8022,
        113.8296,
        "广东省东莞市长安镇霄边工业路",
        "东莞市商务局（再生资源回收经营者备案）",
        "DGZS-2021-0077",
        ["FE", "VE"],
        [],
        2500,
        60,
    ),
    (
        "r04",
        "东莞市虎门金源有色金属回收有限公司",
        "Humen Jinyuan Non-ferrous Recycling Co., Ltd.",
        22.8431,
        113.7016,
        "广东省东莞市虎门镇大宁工业区",
        "东莞市商务局（再生资源回收经营者备案）",
        "DGZS-2022-0205",
        ["NF", "FE"],
        [],
        1200,
        80,
    ),
    (
        "r05",
        "东莞市绿源电子废物处理有限公司",
        "Lüyuan E-waste Treatment Co., Ltd.",
        22.9625,
        113.9520,
        "广东省东莞市寮步镇工业区",
        "广东省生态环境厅（危险废物经营许可证）",
        "440019-HW-2024-031",
        ["EE", "NF"],
        ["900-045-49"],
        600,
        150,
    ),
    (
        "r06",
        "东莞市安循电池回收利用有限公司",
        "Anxun Battery Recycling Co., Ltd.",
        22.9985,
        113.9120,
        "广东省东莞市茶山镇工业园",
        "广东省生态环境厅（危险废物经营许可证）",
        "440019-HW-2023-012",
        ["BA"],
        ["900-052-31"],
        400,
        150,
    ),
    (
        "r07",
        "东莞市虎门布缘纺织再生有限公司",
        "Humen Buyuan Textile Recycling Co., Ltd.",
        22.8012,
        113.6805,
        "广东省东莞市虎门镇怀德社区工业大道",
        "东莞市商务局（再生资源回收经营者备案）",
        "DGZS-2023-0412",
        ["TX"],
        [],
        500,
        50,
    ),
    (
        "r08",
        "东莞市厚街晶华玻璃回收有限公司",
        "Houjie Jinghua Glass Recycling Co., Ltd.",
        22.9468,
        113.6895,
        "广东省东莞市厚街镇白濠工业区",
        "东莞市商务局（再生资源回收经营者备案）",
        "DGZS-2022-0330",
        ["GL"],
        [],
        300,
        60,
    ),
    (
        "r09",
        "东莞市胶源橡胶再生有限公司",
        "Jiaoyuan Rubber Recycling Co., Ltd.",
        22.8710,
        113.7690,
        "广东省东莞市大岭山镇杨屋工业区",
        "东莞市商务局（再生资源回收经营者备案）",
        "DGZS-2021-0190",
        ["TY"],
        [],
        350,
        80,
    ),
    (
        "r10",
        "东莞市报废机动车回收拆解有限公司",
        "Dongguan ELV Recycling and Dismantling Co., Ltd.",
        22.9910,
        113.8095,
        "广东省东莞市东城区同沙工业区",
        "广东省商务厅（报废机动车回收拆解企业资质）",
        "YSBF-2021-019",
        ["VE"],
        ["900-214-08"],
        800,
        100,
    ),
]


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jitter(lat: float, lon: float, km: float) -> tuple[float, float]:
    return (
        round(lat + RNG.uniform(-km, km) / 111.2, 5),
        round(lon + RNG.uniform(-km, km) / 102.6, 5),
    )


def phone(n: int) -> str:
    return f"1380000{n:04d}"


def main() -> None:
    out = [
        "# The demo cluster: fictional companies in real places. Generated by",
        "# scripts/make_demo_cluster.py (edit its tables, not this file). Coordinates are WGS84;",
        "# division codes are Dongguan's 441900 (the city has no county level; township codes",
        "# are not used). Phone numbers are fictional 1380000xxxx numbers.",
        "",
        "[cluster]",
        'code = "DG"',
        'name_zh = "东莞市长安—虎门再生资源产业集群（演示）"',
        'name_en = "Dongguan Chang\'an–Humen recycled-resources cluster (demo)"',
        "",
    ]
    parks = {p[0]: p for p in PARKS}
    for code, zh, en, lat, lon in PARKS:
        out += [
            "[[park]]",
            f"code = {q(code)}",
            f"name_zh = {q(zh)}",
            f"name_en = {q(en)}",
            'division_code = "441900"',
            f"lat = {lat}",
            f"lon = {lon}",
            "",
        ]
    used: set[str] = set()
    for n, industry in enumerate(MIX, start=1):
        code, industry_zh, towns, waste = INDUSTRIES[industry]
        town = towns[(n - 1) % len(towns)]
        while True:
            a, b = RNG.sample(WORDS, 2)
            if a + b not in used:
                used.add(a + b)
                break
        suffix = SUFFIX[industry]
        name = (
            f"东莞市{TOWN_ZH[town]}{a}{b}{suffix}有限公司"
            if industry != "tobacco"
            else f"东莞{a}{b}卷烟厂（演示）"
        )
        en = f"Dongguan {PINYIN[a]}{PINYIN[b].lower()} {EN[industry]} Co., Ltd."
        lat, lon = jitter(parks[town][3], parks[town][4], 2.5)
        road = RNG.choice(ROADS[town])
        place = TOWN_ZH[town] + ("" if town == "SSL" else "镇")
        address = f"广东省东莞市{place}{road}{RNG.randint(1, 99)}号"
        key = f"p{n:02d}"
        out += [
            "[[organization]]",
            f"key = {q(key)}",
            'kind = "producer"',
            f"legal_name = {q(name)}",
            f"name_en = {q(en)}",
            f"industry_code = {q(code)}",
            f"industry_zh = {q(industry_zh)}",
            f"address = {q(address)}",
            'division_code = "441900"',
            f"park = {q(town)}",
            f"lat = {lat}",
            f"lon = {lon}",
            f"contact_name = {q(RNG.choice(SURNAMES) + RNG.choice(['经理', '主管']))}",
            f"contact_phone = {q(phone(n))}",
        ]
        hours = RNG.choice(["08:00-17:30", "07:30-18:00", "08:30-17:00", "08:00-20:00"])
        loading = RNG.choice(
            [["forklift"], ["forklift", "dock"], ["manual"], ["forklift", "crane"]]
        )
        out += [
            "  [[organization.site]]",
            '  name = "一厂"',
            f"  address = {q(address)}",
            f"  lat = {lat}",
            f"  lon = {lon}",
            f"  opening_hours = {q(hours)}",
            f"  loading = [{', '.join(q(x) for x in loading)}]",
        ]
        if n % 6 == 0:  # some factories run a second plant in the same town
            lat2, lon2 = jitter(parks[town][3], parks[town][4], 3.0)
            out += [
                "  [[organization.site]]",
                '  name = "二厂"',
                f"  address = {q(address.replace('号', '号之二'))}",
                f"  lat = {lat2}",
                f"  lon = {lon2}",
                '  opening_hours = "08:00-17:30"',
                '  loading = ["manual"]',
            ]
        scale = RNG.uniform(0.6, 1.6)
        for grade, tonnes in waste:
            out += [
                "  [[organization.waste]]",
                f"  grade = {q(grade)}",
                f"  tonnes_per_month = {round(tonnes * scale, 1)}",
            ]
        out.append("")
    for key, name, en, lat, lon, address, issuer, licence, families, hw, cap, radius in RECYCLERS:
        out += [
            "[[organization]]",
            f"key = {q(key)}",
            'kind = "recycler"',
            f"legal_name = {q(name)}",
            f"name_en = {q(en)}",
            *(
                ('industry_code = "C4210"', 'industry_zh = "金属废料和碎屑加工处理"')
                if {"FE", "NF", "VE", "EE"} & set(families)
                else ('industry_code = "C4220"', 'industry_zh = "非金属废料和碎屑加工处理"')
            ),
            f"address = {q(address)}",
            'division_code = "441900"',
            f"lat = {lat}",
            f"lon = {lon}",
            f"contact_name = {q(RNG.choice('王李张刘陈杨黄赵吴周') + '经理')}",
            f"contact_phone = {q(phone(100 + int(key[1:])))}",
            "  [[organization.site]]",
            '  name = "收货场"',
            f"  address = {q(address)}",
            f"  lat = {lat}",
            f"  lon = {lon}",
            '  opening_hours = "07:00-19:00"',
            '  loading = ["forklift", "dock"]',
            "  [organization.recycler]",
            f"  licence_no = {q(licence)}",
            f"  licence_issuer = {q(issuer)}",
            f"  scope_families = [{', '.join(q(f) for f in families)}]",
            f"  hw_codes = [{', '.join(q(c) for c in hw)}]",
            f"  capacity_t_per_month = {cap}",
            f"  haul_radius_km = {radius}",
            "",
        ]
    out += [
        "[[organization]]",
        'key = "s01"',
        'kind = "station"',
        'legal_name = "东莞市长安镇再生资源回收站（演示）"',
        'name_en = "Chang\'an Recycling Station (demo)"',
        'industry_code = "F5191"',
        'industry_zh = "再生物资回收与批发"',
        'address = "广东省东莞市长安镇乌沙环保产业园1号"',
        'division_code = "441900"',
        'park = "CA"',
        "lat = 22.79862",
        "lon = 113.81784",
        'contact_name = "陈站长"',
        'contact_phone = "13800000201"',
        "  [[organization.site]]",
        '  name = "回收站"',
        '  address = "广东省东莞市长安镇乌沙环保产业园1号"',
        "  lat = 22.79862",
        "  lon = 113.81784",
        '  opening_hours = "07:30-19:30"',
        '  loading = ["forklift", "dock", "crane"]',
        "",
        "[[organization]]",
        'key = "l01"',
        'kind = "logistics"',
        'legal_name = "东莞市环运再生物流有限公司"',
        'name_en = "Dongguan Huanyun Recycling Logistics Co., Ltd."',
        'industry_code = "G5430"',
        'industry_zh = "道路货物运输"',
        'address = "广东省东莞市虎门镇路东工业区物流园8号"',
        'division_code = "441900"',
        'park = "HM"',
        "lat = 22.82154",
        "lon = 113.70532",
        'contact_name = "黄调度"',
        'contact_phone = "13800000301"',
        "  [[organization.site]]",
        '  name = "车场"',
        '  address = "广东省东莞市虎门镇路东工业区物流园8号"',
        "  lat = 22.82154",
        "  lon = 113.70532",
        '  opening_hours = "06:00-22:00"',
        '  loading = ["dock"]',
        "",
        "[[organization]]",
        'key = "g01"',
        'kind = "government"',
        'legal_name = "东莞市长安镇产业园区管理委员会（演示）"',
        'name_en = "Chang\'an Industrial Park Management Committee (demo)"',
        'address = "广东省东莞市长安镇长青南路"',
        'division_code = "441900"',
        "lat = 22.81631",
        "lon = 113.80491",
        'contact_name = "刘科长"',
        'contact_phone = "13800000401"',
        "  [[organization.site]]",
        '  name = "管委会"',
        '  address = "广东省东莞市长安镇长青南路"',
        "  lat = 22.81631",
        "  lon = 113.80491",
        "",
        "[[organization]]",
        'key = "a01"',
        'kind = "admin"',
        'legal_name = "环链平台运营中心（演示）"',
        'name_en = "Huanlian Platform Operations (demo)"',
        'address = "广东省东莞市松山湖总部二路"',
        'division_code = "441900"',
        "lat = 22.92571",
        "lon = 113.89012",
        'contact_name = "周运营"',
        'contact_phone = "13800000501"',
        "  [[organization.site]]",
        '  name = "运营中心"',
        '  address = "广东省东莞市松山湖总部二路"',
        "  lat = 22.92571",
        "  lon = 113.89012",
        "",
        "[[depot]]",
        'key = "l01-d1"',
        'owner = "l01"',
        'name = "虎门路东车场"',
        'address = "广东省东莞市虎门镇路东工业区物流园8号"',
        "lat = 22.82154",
        "lon = 113.70532",
        "",
    ]
    fleet = [("van_4_2m", "4.2米厢式货车", 2000, 16, False)] * 4 + [
        ("truck_9_6m", "9.6米高栏货车", 15000, 55, False),
        ("truck_9_6m", "9.6米危险货物厢式货车", 12000, 45, True),
        ("hooklift", "勾臂式垃圾车（车厢可卸）", 8000, 20, False),
    ]
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    for vtype, zh, kg, m3, hazmat in fleet:
        plate = f"粤S·{RNG.choice(letters)}{RNG.randint(1000, 9999)}{RNG.choice(letters)}"
        out += [
            "[[vehicle]]",
            'owner = "l01"',
            f"plate = {q(plate)}",
            f"vehicle_type = {q(vtype)}",
            f"type_zh = {q(zh)}",
            f"capacity_kg = {kg}",
            f"capacity_m3 = {m3}",
            f"hazmat_permit = {'true' if hazmat else 'false'}",
            'depot = "l01-d1"',
            "",
        ]
    for vtype, zh, kg, m3 in [
        ("van_4_2m", "4.2米厢式货车", 2000, 16),
        ("hooklift", "勾臂式垃圾车", 8000, 20),
    ]:
        plate = f"粤S·{RNG.choice(letters)}{RNG.randint(1000, 9999)}{RNG.choice(letters)}"
        out += [
            "[[vehicle]]",
            'owner = "s01"',
            f"plate = {q(plate)}",
            f"vehicle_type = {q(vtype)}",
            f"type_zh = {q(zh)}",
            f"capacity_kg = {kg}",
            f"capacity_m3 = {m3}",
            "hazmat_permit = false",
            "",
        ]
    for name, en, protocol, port, baud, cap, division in [
        ("收料地磅", "Inbound weighbridge", "xk3190", "/dev/ttyUSB0", 9600, 60000, 20000),
        (
            "分拣平台秤",
            "Sorting platform scale",
            "toledo-continuous",
            "/dev/ttyUSB1",
            9600,
            3000,
            1000,
        ),
        ("打包台秤", "Baling bench scale", "st-gs", "/dev/ttyUSB2", 9600, 300, 100),
    ]:
        out += [
            "[[scale]]",
            'owner = "s01"',
            f"name_zh = {q(name)}",
            f"name_en = {q(en)}",
            f"protocol = {q(protocol)}",
            f"port = {q(port)}",
            f"baud = {baud}",
            'parity = "N"',
            "data_bits = 8",
            "stop_bits = 1",
            f"capacity_kg = {cap}",
            f"division_g = {division}",
            'unit = "kg"',
            "",
        ]
    OUT.write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
