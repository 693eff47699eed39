"""The overview page lists what is stored."""


def test_index_counts_the_demo_layers(demo_client):
    response = demo_client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<td class="count" data-layer="precincts">11</td>' in html
    assert "派出所" in html


def test_index_on_an_empty_store(client):
    html = client.get("/").get_data(as_text=True)
    assert '<td class="count" data-layer="grids">0</td>' in html
