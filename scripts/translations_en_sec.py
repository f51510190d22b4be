"""English for the security pages and messages (issue 12: audit log, PIPL requests)."""

EN = {
    "用户不存在": "No such user",
    "对象不存在": "No such object",
    "组织编号应为正整数": "Organisation number must be a positive integer",
    "请输入用户名以确认删除": "Type the username to confirm the erasure",
    "已删除": "Erased",
    "审计": "Audit",
    "审计日志": "Audit log",
    "只增不改：登录、拒绝访问、资金变动、成交、容差调整、预警处理": (
        "Append-only: sign-ins, denials, money movements, awards, tolerance changes, alert handling"
    ),
    "组织编号": "Organisation no.",
    "对象": "Object",
    "止": "To",
    "起": "From",
    "时间（UTC）": "Time (UTC)",
    "用户": "User",
    "详情": "Details",
    "没有符合条件的记录": "No matching entries",
    "第 %(n)d 页": "Page %(n)d",
}
