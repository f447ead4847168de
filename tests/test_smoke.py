from tests.conftest import login


def test_it_serves_the_dashboard_to_alice(client, alice):
    login(client, alice)
    response = client.get("/")
    assert response.status_code == 200
    assert "Alice Bakes" in response.get_data(as_text=True)
