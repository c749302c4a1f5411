"""The server on a network, without the web stack: this machine's addresses and names, its
own CA and server certificate, the pairing secret, QR codes, and the Host and Origin rules.

LAN mode (README, "Headset on the LAN") is built from these; `api/guard.py` applies them to
every request.
"""
