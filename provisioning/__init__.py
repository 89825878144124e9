"""Technician tooling: turn a Raspberry Pi-class machine into a Hisab box and update it safely.

`hisab-provision provision` (identity, hub registration, deploy with rsync, systemd units,
smoke test) and `hisab-provision update` (side-by-side release, switch, health check,
rollback). Runs as root on the box, or on a laptop against a mounted SD card (--target).
Never prints or logs a secret.
"""
