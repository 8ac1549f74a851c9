"""Stored templates: rendering rules, refusal of broken or escaping templates, versions, system templates."""
import pytest

from models import Template
from services import domains, templates
from services.errors import DomainNotFound, InvalidTemplate, TemplateInactive, TemplateNotFound, TemplateRenderFailed


def test_variables_defaults_and_missing_variables(alice):
    stored = templates.create(alice.user, "hello", subject="Hi {{ name }} & co",
                              html="<p>Hi {{ name | default('friend') }}, {{ missing }}{{ missing.deeper.still }}!</p>",
                              text="Hi {{ name }}. Code: {{ code | default('none', true) }}")
    named = templates.render(stored, {"name": "Ann", "code": ""})
    assert named.subject == "Hi Ann & co" and named.html == "<p>Hi Ann, !</p>" and named.text == "Hi Ann. Code: none"
    anonymous = templates.render(stored, {})
    assert anonymous.subject == "Hi  & co" and anonymous.html == "<p>Hi friend, !</p>"


def test_html_is_escaped_only_in_the_html_part(alice):
    stored = templates.create(alice.user, "escape", subject="{{ who }}", html="<p>{{ who }}</p>", text="{{ who }}")
    out = templates.render(stored, {"who": "<b>Tom & Jerry</b>"})
    assert out.html == "<p>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</p>"
    assert out.subject == out.text == "<b>Tom & Jerry</b>"


def test_a_template_that_cannot_compile_is_refused_with_its_line(alice):
    with pytest.raises(InvalidTemplate) as refused:
        templates.create(alice.user, "broken", subject="ok", html="<p>one</p>\n<p>two</p>\n{% if x %}<p>three</p>")
    assert refused.value.part == "html" and refused.value.line == 3 and "endif" in refused.value.reason
    with pytest.raises(InvalidTemplate, match=r"^subject, line 2: unexpected '}'"):
        templates.create(alice.user, "broken", subject="ok\n{{ name }\nmore")
    with pytest.raises(InvalidTemplate) as unknown_filter:
        templates.create(alice.user, "broken", text="line one\n{{ name | nosuchfilter }}")
    assert unknown_filter.value.line == 2 and "nosuchfilter" in str(unknown_filter.value)
    assert Template.select().count() == 0


@pytest.mark.parametrize("escape", ["{{ ''.__class__.__mro__ }}", "{{ x['__class__'] }}",
                                    "{{ cycler.__init__.__globals__ }}", "{{ self._TemplateReference__context }}"])
def test_sandbox_escapes_are_refused_when_stored(alice, escape):
    with pytest.raises(InvalidTemplate) as refused:
        templates.create(alice.user, "evil", html=f"<p>fine</p>\n{escape}")
    assert refused.value.line == 2 and "not allowed" in refused.value.reason


def test_sandbox_violations_at_render_time_are_a_domain_error():
    # content that is not stored (a campaign's own) only meets the sandbox when rendered
    with pytest.raises(TemplateRenderFailed, match="unsafe"):
        templates.render_parts("", "{{ ''.__class__.__mro__ }}", "")
    with pytest.raises(TemplateRenderFailed, match="unsafe"):
        templates.render_parts("{{ f.__globals__ }}", "", "", {"f": templates.render})
    with pytest.raises(TemplateRenderFailed, match="ZeroDivisionError"):
        templates.render_parts("", "", "{{ 1 / n }}", {"n": 0})


def test_updates_keep_every_previous_version(alice):
    stored = templates.create(alice.user, "receipt", subject="v1", html="<p>one</p>")
    templates.update(stored, alice.user, subject="v2")
    templates.update(stored, alice.user, html="<p>three</p>", name="receipt 3")
    current = templates.get(stored.id, alice.user)
    assert (current.version, current.name, current.subject, current.html) == (3, "receipt 3", "v2", "<p>three</p>")
    assert [(v.version, v.name, v.subject, v.html) for v in templates.versions(current)] == [
        (2, "receipt", "v2", "<p>one</p>"), (1, "receipt", "v1", "<p>one</p>")]
    with pytest.raises(InvalidTemplate):
        templates.update(current, alice.user, text="{% for %}")
    assert templates.get(stored.id, alice.user).version == 3  # a refused update keeps no version


def test_lookup_by_id_or_uuid_scoped_to_the_owner(alice, bob):
    stored = templates.create(alice.user, "mine", subject="s")
    assert templates.get(str(stored.uuid), alice.user).id == stored.id
    assert templates.get(str(stored.id), alice.user).id == stored.id
    for ident in (stored.id, str(stored.uuid), "not-a-uuid", 999999):
        with pytest.raises(TemplateNotFound):
            templates.get(ident, bob.user)
    with pytest.raises(TemplateNotFound):
        templates.update(stored, bob.user, subject="theirs")
    with pytest.raises(TemplateNotFound):
        templates.delete(stored, bob.user)
    assert templates.get(stored.id, None).id == stored.id  # the operator sees every template


def test_domain_must_be_the_owners(alice, bob):
    domain = domains.add(alice.user, "example.com")
    assert templates.create(alice.user, "on domain", domain=domain.id).domain_id == domain.id
    with pytest.raises(DomainNotFound):
        templates.create(bob.user, "not mine", domain=domain.id)


def test_deactivate_and_delete(alice):
    stored = templates.create(alice.user, "old", subject="s")
    templates.set_active(stored, alice.user, False)
    assert templates.list_own(alice.user, active_only=True) == []
    with pytest.raises(TemplateInactive):
        templates.render(templates.get(stored.id, alice.user))
    templates.update(stored, alice.user, subject="again")
    templates.delete(stored, alice.user)
    with pytest.raises(TemplateNotFound):
        templates.get(stored.id, alice.user)


def test_system_templates_are_listed_apart_and_render(alice):
    assert templates.seed_system() == ["welcome", "password-reset", "receipt"]
    assert templates.seed_system() == []  # idempotent
    templates.create(alice.user, "my own")
    assert [t.name for t in templates.list_own(alice.user)] == ["my own"]
    assert [t.name for t in templates.list_system()] == ["password-reset", "receipt", "welcome"]
    reset = next(t for t in templates.list_system() if t.name == "password-reset")
    out = templates.render(templates.get(reset.id, alice.user), {"name": "Ann", "action_url": "https://x.test/r?a=1&b=2"})
    assert 'href="https://x.test/r?a=1&amp;b=2"' in out.html and "https://x.test/r?a=1&b=2" in out.text
    receipt = templates.render(next(t for t in templates.list_system() if t.name == "receipt"),
                               {"items": [{"description": "Tea", "amount": "4.00"}], "total": "4.00",
                                "receipt_id": 7})
    assert receipt.subject == "Your receipt #7" and "Tea: 4.00" in receipt.text
    with pytest.raises(TemplateNotFound):  # users cannot change the system's
        templates.update(reset, alice.user, subject="mine now")
