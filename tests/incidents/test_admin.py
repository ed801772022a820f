"""incidents/admin.py: incidents are read only in the admin; they change only through the services."""


def test_admin_cannot_delete_incidents(client, demo, fire_incident):
    client.force_login(demo.admin)
    assert client.post(f"/admin/incidents/incident/{fire_incident.pk}/delete/", {"post": "yes"}).status_code == 403
    assert fire_incident.__class__.objects.filter(pk=fire_incident.pk).exists()
