"""OpenID Connect sign-in: authorization code + PKCE against one configured provider.

endpoints.py   GET /api/v1/auth/oidc (is it on?), /login (to the provider), /callback
flow.py        the pending sign-in (state, nonce, PKCE verifier) in an encrypted cookie
provider.py    discovery, signing keys, code exchange, userinfo: the only HTTP to the provider
idtoken.py     the ID token's signature and claims
service.py     who the verified identity is here: linked, linked by address, or created
"""
