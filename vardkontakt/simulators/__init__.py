"""Local simulators of the external identity systems, speaking their real protocols over HTTP.

For the demo and the tests only. Each simulator is a plain WSGI application that keeps its state in
memory; ``build_app`` mounts them under one server (``manage.py run_simulators``, loopback only):

- ``/bankid/`` — BankID Relying Party API v6 and a page that plays the BankID app (bankid.py);
- ``/freja/`` — an OpenID provider that behaves like Freja eID Plus (oidc.py);
- ``/siths/`` — an OpenID provider that behaves like the Inera IdP for SITHS (oidc.py).

The application never imports this package outside tests and the demo command: it talks to the
simulators over HTTP exactly as it talks to the real services."""
