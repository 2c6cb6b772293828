from tests.factories import PASSWORD


def login(client, user):
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def flashes(response) -> str:
    return response.get_data(as_text=True)
