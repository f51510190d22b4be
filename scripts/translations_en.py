"""English for the Chinese source strings, kept as data so `scripts/fill_po.py` can fill the .po.

Translators may also edit marketplace/translations/en/LC_MESSAGES/messages.po directly; these
tables are the seed that keeps the catalogue complete when strings are added in bulk. They are
split by area (translations_en_*.py) only to keep each file readable; earlier tables win.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from translations_en_platform import EN as _PLATFORM
from translations_en_station import EN as _STATION
from translations_en_trading import EN as _TRADING

EN = {**_PLATFORM, **_TRADING, **_STATION}

# The passport package keeps the English of its own messages (its offline verifier runs without
# a catalogue); the platform's catalogue takes them from there.
from passport.problems import ENGLISH as _PASSPORT  # noqa: E402

EN.update({k: v for k, v in _PASSPORT.items() if k not in EN})

from translations_en_station_pages import STATION_PAGES as _STATION_PAGES  # noqa: E402

EN.update({k: v for k, v in _STATION_PAGES.items() if k not in EN})
# Station reports (单日库存结余表, 过程记录表, 再生资源处置报表) and the stock ledger.
EN.update(
    {
        "单日库存结余表": "Daily inventory balance",
        "过程记录表": "Process records",
        "再生资源处置报表": "Recycled-resource disposal report",
        "记录超过 %(n)s 条，请按日期或环节筛选后导出": "More than %(n)s records: filter by day or stage before exporting",
        "结束日期不能早于开始日期": "The end date cannot be before the start date",
        "报表期间最长 366 天": "A report covers at most 366 days",
        "送料": "Delivery",
        "收料": "Receiving",
        "分拣": "Sorting",
        "入库": "Warehouse-in",
        "出库": "Warehouse-out",
        "（合计）": " (total)",
        "正常": "Normal",
        "无定额": "No standard",
        "请指定回收站": "Name the station",
        "回收站不存在": "No such station",
        "页码须为正整数": "The page must be a positive integer",
        "每页条数须在 1 到 200 之间": "Rows per page must be between 1 and 200",
        "包不在任何库位": "The package is not at any location",
        "盘点调整必须说明原因": "A stock-take adjustment needs a reason",
        "盘点重量不能为负": "The counted weight cannot be negative",
        "盘点重量与账面相同，无需调整": "The counted weight equals the book weight: nothing to adjust",
        "导出 Excel": "Export Excel",
        "回收站编号": "Station id",
        "开始日期": "From",
        "结束日期": "To",
        "汇总期间": "Group by",
        "按日": "Day",
        "按周": "Week",
        "按月": "Month",
        "查询": "Show",
        "回收率 = 回收利用量 ÷ 收料量；损耗量 = 收料量 − 回收利用量（含未称重的损耗）。": "Recovery rate = recovered ÷ received; loss = received − recovered (including loss that was never weighed).",
        "日期": "Date",
        "期初结存 + 本日入库 − 本日出库 ± 盘盈盘亏 = 期末结存；账面结存取自在库包件，差额须为零。": "Opening + in − out ± stock-take adjustments = closing; the book stock is the packages in stock, and the difference must be zero.",
        "核对为零": "Balances to zero",
        "核对不平": "Does not balance",
        "差额合计（千克）": "Total difference (kg)",
        "环节": "Stage",
        "共 %(n)s 条记录，第 %(page)s / %(pages)s 页": "%(n)s records, page %(page)s of %(pages)s",
    }
)

# Work orders at the scale
EN.update(
    {
        "工单编号已存在：%(number)s": "Work order number already exists: %(number)s",
        "产线/班组与工单 %(number)s 的产线 %(line)s 不一致": "The line differs from line %(line)s of work order %(number)s",
        "工单编号不正确": "Not a work order id or number",
        "工单不存在：%(ref)s": "Work order not found: %(ref)s",
        "工单 %(number)s 属于“%(stage)s”环节，不是本环节": "Work order %(number)s is for the “%(stage)s” stage, not this one",
        "工单 %(number)s 已关闭": "Work order %(number)s is closed",
        "工单 %(number)s 的作业日期是 %(date)s，不是今天": "Work order %(number)s is for %(date)s, not today",
        "您不在工单 %(number)s 的指派人员中": "You are not assigned to work order %(number)s",
        "工单不存在": "Work order not found",
        "不关联工单": "No work order",
        "今天没有指派给您的本环节工单。": "No work order of this stage is assigned to you today.",
        "关闭工单": "Close work order",
        "工单已关闭。": "Work order closed.",
        "预警已更新": "Alert updated",
        "刷新页面查看可用的处理操作": "Reload the page for the handling steps now allowed",
    }
)
# Dispatch (issue 9, platform half): the dispatcher's and driver's pages.
_DISPATCH = {
    "只有物流企业可以调度": "Only logistics companies can dispatch",
    "只读账户不能修改调度计划": "Read-only accounts cannot change route plans",
    "日期格式应为 YYYY-MM-DD": "The date must be YYYY-MM-DD",
    "调度计划不存在": "No such route plan",
    "请至少选择一辆车": "Choose at least one vehicle",
    "求解时限应为 1–60 秒": "The time limit must be 1–60 seconds",
    "车辆不属于本企业或已停用：%(ids)s": "Vehicles not in your fleet or inactive: %(ids)s",
    "只有草稿计划可以调整（当前：%(state)s）": "Only a draft plan can be changed (now: %(state)s)",
    "该站点不在此计划中": "That stop is not in this plan",
    "车辆不在此计划中": "That vehicle is not in this plan",
    "位置超出范围（0–%(n)s）": "Position out of range (0–%(n)s)",
    "计划仍有违规，不能发布": "The plan still breaks rules and cannot be published",
    "部分收料请求已在其他已发布计划中：%(ids)s": "Some pickup requests are in another published plan: %(ids)s",
    "司机须为本企业用户": "The driver must be a user of your company",
    "重量应为数字（千克）": "The weight must be a number (kg)",
    "重量应大于 0 且不超过 100 吨": "The weight must be above 0 and at most 100 t",
    "重量最多三位小数": "At most three decimals for the weight",
    "站点不存在": "No such stop",
    "只有该车司机或调度经理可以确认": "Only this vehicle's driver or a dispatch manager can confirm",
    "计划尚未发布": "The plan is not published yet",
    "该站点已确认": "This stop is already confirmed",
    "%(field)s 应为整数": "%(field)s must be a whole number",
    "已调整，计划仍满足全部约束": "Moved; the plan still meets every rule",
    "已调整，但计划违反约束，请查看违规列表": "Moved, but the plan now breaks rules: see the violations",
    "计划已发布": "Plan published",
    "已指派司机": "Driver assigned",
    "该车辆不在此计划中": "That vehicle is not in this plan",
    "已确认收料": "Pickup confirmed",
    "司机": "Driver",
    "调度": "Dispatch",
    "规划中": "Planning",
    "规划失败": "Planning failed",
    "回收站出库": "Station outbound",
    "循环批次": "Recurring lot",
    "无具备危废资质的车辆": "No vehicle with a hazardous-goods permit",
    "超出车辆载重/容积": "Over vehicle weight/volume capacity",
    "无法在营业时间内到达": "Cannot be reached within opening hours",
    "数据不完整": "Incomplete data",
    "车辆失联": "Vehicle lost",
    "今日站点": "Today's stops",
    "计划": "Plan",
    "预计": "Expected",
    "危废": "Hazardous",
    "复称净重（kg）": "Re-weighed net (kg)",
    "今天没有指派给您的已发布路线。": "No published route is assigned to you today.",
    "收料调度": "Pickup dispatch",
    "规划一天": "Plan a day",
    "危废资质": "Hazmat permit",
    "未设车场": "No depot",
    "本企业尚无车辆": "Your company has no vehicles yet",
    "求解时限（秒）": "Solver time limit (s)",
    "开始规划": "Start planning",
    "较单趟节省": "Saved vs direct trips",
    "里程": "Distance",
    "暂无计划": "No plans yet",
    "%(day)s 的收料请求": "Pickup requests for %(day)s",
    "重量": "Weight",
    "时间窗": "Time window",
    "送往": "Deliver to",
    "地点": "Place",
    "当天没有待收的请求": "No pickups waiting that day",
    "调度计划": "Route plan",
    "导出 GeoJSON": "Export GeoJSON",
    "发布计划": "Publish plan",
    "正在后台规划路线，请稍候…": "Planning routes in the background, please wait…",
    "规划进度": "Planning progress",
    "规划失败：": "Planning failed: ",
    "手工调整后计划违反以下约束（不能发布）：": "After the manual change the plan breaks these rules (cannot be published):",
    "示意图：直线连接各站点，未加载道路底图。": "Schematic: straight lines between stops, no road map loaded.",
    "本计划": "This plan",
    "每单直送": "Direct trips",
    "车辆工时": "Vehicle hours",
    "装载率": "Load factor",
    "空驶比例": "Empty running",
    "CO₂e": "CO₂e",
    "较每单直送节省里程 %(km)s %%，减排 CO₂e %(co2)s %%": "%(km)s %% fewer km and %(co2)s %% less CO₂e than direct trips",
    "未能安排的请求": "Requests that could not be planned",
    "车辆时间轴（07:00–19:00）": "Vehicle timeline (07:00–19:00)",
    "未指派": "Not assigned",
    "司机：": "Driver: ",
    "指派": "Assign",
    "出车单": "Run sheet",
    "车上重量": "On board",
    "手工调整": "Move by hand",
    "作业": "Task",
    "计划时间": "Planned time",
    "移到车辆": "Move to vehicle",
    "位置": "Position",
    "移动": "Move",
    "本车未使用": "Vehicle not used",
    "车型：": "Type: ",
    "车场：": "Depot: ",
    "预计重量": "Expected weight",
    "危废代码": "HW codes",
    "实收净重（kg）": "Net weighed (kg)",
    "签字": "Signature",
    "请在每个站点复称后填写实收净重，并请对方签字。": "Re-weigh at each stop, write the net weight and have the other party sign.",
}
EN.update({k: v for k, v in _DISPATCH.items() if k not in EN})

_DISPATCH_SENSORS = {
    "读数不是 JSON": "The reading is not JSON",
    "读数不是 JSON 对象": "The reading is not a JSON object",
    "满溢度应为 0–100 的数字": "The fill level must be a number from 0 to 100",
    "时间格式无效": "Invalid time format",
    "时间须带时区": "The time needs a time zone",
    "传感器不存在": "No such sensor",
    "当天没有可安排的收料请求（或已全部在已发布的计划中）。": "No pickup requests to plan that day (or all are in published plans).",
    "满溢传感器": "Fill-level sensors",
    "传感器": "Sensor",
    "最近读数": "Last reading",
    "阈值": "Threshold",
    "离线超过 2 小时": "Silent for over 2 hours",
    "待收": "Due for pickup",
    "正常": "Normal",
}
EN.update({k: v for k, v in _DISPATCH_SENSORS.items() if k not in EN})
from translations_en_route import EN as _route  # noqa: E402

EN.update({k: v for k, v in _route.items() if k not in EN})
from translations_en_recplat import EN as _recplat  # noqa: E402

EN.update({k: v for k, v in _recplat.items() if k not in EN})
from translations_en_kpi import EN as _kpi  # noqa: E402

EN.update({k: v for k, v in _kpi.items() if k not in EN})
from translations_en_govpages import EN as _govpages  # noqa: E402

EN.update({k: v for k, v in _govpages.items() if k not in EN})
from translations_en_sec import EN as _sec  # noqa: E402

EN.update({k: v for k, v in _sec.items() if k not in EN})
from translations_en_ops import EN as _ops  # noqa: E402

EN.update({k: v for k, v in _ops.items() if k not in EN})
