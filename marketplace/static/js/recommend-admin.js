// Admin recommender page: the training job's progress bar (job-progress.js), then reload.
window.watchJob("train-progress", ["queued", "running"]);
