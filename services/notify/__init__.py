"""notify: tells people. For now the in-app inbox of representatives and station queues."""
