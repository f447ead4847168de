import cProfile, pstats, io, os
from flask.globals import app_ctx
from webapp.core.extensions import db
from tests.conftest import login

def test_probe(app, client, alice, alice_org, clock):
    clock.advance(seconds=30)
    login(client, alice)
    ctx = app_ctx._get_current_object(); db.session.remove(); ctx.pop()
    try:
        for url, h in ((os.environ.get("PAGE","/account"), None), ("/health/widget", {"HX-Request": "true"})):
            client.get(url, headers=h or {})
            pr = cProfile.Profile(); pr.enable()
            for _ in range(300): client.get(url, headers=h or {})
            pr.disable()
            st = io.StringIO(); pstats.Stats(pr, stream=st).sort_stats(os.environ.get("SORT","cumulative")).print_stats(int(os.environ.get("N","60"))); print("=====", url); print(st.getvalue())
    finally:
        ctx.push()
