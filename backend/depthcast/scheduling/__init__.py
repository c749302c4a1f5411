"""The latency scheduler: depth for what each client is about to show, before it is due.

`scheduler.FrameScheduler` is the entry point; `policy` holds its rules as pure functions,
`stream` the per-connection state, `workers` the decode and inference thread loops, and
`events` the hand-off to a connection (made after the scheduler's lock is released).
"""
