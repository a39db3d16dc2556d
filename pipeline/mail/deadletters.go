package mail

// RetryCommand is what requeues the dead letters; kam status and the page name it.
const RetryCommand = "kam deliver --retry-dead"
