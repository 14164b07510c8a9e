"""``make drill``: faults (a worker killed, PostgreSQL restarted, Redis down, a failing PDF task) against
servers and processes it starts itself; see run.py."""
