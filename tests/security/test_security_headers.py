"""Security headers on pages: CSP without inline script, no caching of patient data, HSTS."""

from django.urls import reverse


def test_every_page_sends_a_strict_content_security_policy(client, nurse):
    client.force_login(nurse)
    for url in (reverse("login"), reverse("staff:worklist")):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in csp
        assert directives["frame-ancestors"] == "'none'"


def test_pages_that_may_show_patient_data_are_never_cached(client, nurse):
    client.force_login(nurse)
    response = client.get(reverse("staff:worklist"))
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_frames_sniffing_and_referrers_are_refused(client):
    response = client.get(reverse("login"))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_https_responses_carry_hsts_for_a_year_with_subdomains(client):
    response = client.get(reverse("login"), secure=True)
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_the_base_page_has_no_inline_script(client, nurse):
    client.force_login(nurse)
    html = client.get(reverse("staff:worklist")).content.decode()
    # Every <script> loads a file from our origin; none carries code inline.
    for chunk in html.split("<script")[1:]:
        tag, _, rest = chunk.partition(">")
        assert "src=" in tag
        assert rest.startswith("</script>")
