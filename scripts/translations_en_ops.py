"""English for the operations strings (503s, job retries)."""

EN = {
    "服务暂时不可用，请稍后重试": "The service is briefly unavailable; please try again shortly",
    "任务队列暂时不可用，任务未受理，请稍后重试": (
        "The job queue is unavailable; the job was not accepted. Please try again shortly"
    ),
    "只有失败的后台任务可以重试（当前状态：%(state)s）": (
        "Only a failed job can be retried (it is %(state)s)"
    ),
}
