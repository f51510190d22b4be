"""English for the operations strings (503s, job retries)."""

EN = {
    "服务暂时不可用，请稍后重试": "The service is briefly unavailable; please try again shortly",
    "任务队列暂时不可用，任务未受理，请稍后重试": (
        "The job queue is unavailable; the job was not accepted. Please try again shortly"
    ),
    "只有失败的后台任务可以重试（当前状态：%(state)s）": (
        "Only a failed job can be retried (it is %(state)s)"
    ),
    "内存数据库无法备份": "An in-memory database cannot be backed up",
    "备份目录不为空：%(dir)s": "The backup directory is not empty: %(dir)s",
    "不支持备份该数据库：%(backend)s": "This database cannot be backed up: %(backend)s",
    "不是有效的备份目录：%(dir)s": "Not a backup directory: %(dir)s",
    "备份格式不受支持": "Unsupported backup format",
    "备份来自 %(source)s，当前数据库为 %(target)s": (
        "The backup is of %(source)s; this database is %(target)s"
    ),
    "目标数据库不是空的，拒绝覆盖": "The target database is not empty; refusing to overwrite it",
    "实例目录已有不同的护照签名密钥，拒绝覆盖": (
        "The instance folder holds a different passport signing key; refusing to overwrite it"
    ),
    "备份缺少证据文件：%(name)s": "The backup lacks an evidence file: %(name)s",
    "证据文件已损坏：%(name)s": "An evidence file is damaged: %(name)s",
}
