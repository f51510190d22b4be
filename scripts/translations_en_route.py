"""English for the dispatcher's gather action and the grouped visits (merged by translations_en)."""

EN = {
    "已更新收料请求，新增 %(n)s 条": "Pickup requests updated: %(n)s new",
    "更新收料请求": "Update pickup requests",
    "从已排期的成交、回收站出库计划和定期货源读取当天的收料需求；开始规划时也会自动更新。": (
        "Reads the day's pickups from scheduled trades, station outbound plans and recurring "
        "lots; starting a plan updates them too."
    ),
    "来自": "from",
    "批次": "Lots",
    "%(n)s 批": "%(n)s lots",
    "本站 %(n)s 批，共 %(kg)s": "%(n)s lots here, %(kg)s in all",
}
