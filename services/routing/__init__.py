"""routing: the directory, who holds each case, and (later) the handling workflow and SLAs."""
