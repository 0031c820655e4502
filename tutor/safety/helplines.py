"""Where to find help, per deployment country (``settings.helpline_country``).

Numbers are the national children's or crisis lines as published by the services themselves;
a deployment can replace the whole text with ``settings.helpline_text``.
"""

from __future__ import annotations

INTERNATIONAL = (
    "If you are in danger right now, call your local emergency number. "
    "Please talk to an adult you trust today: a parent, a teacher or your school counsellor. "
    "In many countries you can call a free children's helpline; in much of Europe it is 116 111. "
    "Child Helpline International (childhelplineinternational.org) and findahelpline.com list "
    "free, confidential helplines in every country."
)

HELPLINES: dict[str, str] = {
    "international": INTERNATIONAL,
    "GB": "You can call Childline free on 0800 1111, any time, or talk to a counsellor online at "
    "childline.org.uk. Samaritans are there on 116 123. If you are in danger, call 999.",
    "IE": "You can call Childline free on 1800 66 66 66, any time, or Samaritans on 116 123. "
    "If you are in danger, call 112 or 999.",
    "US": "You can call or text 988 (the Suicide & Crisis Lifeline), any time, for free. "
    "The Childhelp hotline is 1-800-422-4453. If you are in danger, call 911.",
    "CA": "You can call Kids Help Phone on 1-800-668-6868 or text CONNECT to 686868, any time. "
    "You can also call or text 988. If you are in danger, call 911.",
    "AU": "You can call Kids Helpline on 1800 55 1800, any time, or Lifeline on 13 11 14. "
    "If you are in danger, call 000.",
    "NZ": "You can call or text 1737, any time, or call Youthline on 0800 376 633. "
    "If you are in danger, call 111.",
    "IN": "You can call Tele-MANAS on 14416, any time, or Childline on 1098. "
    "If you are in danger, call 112.",
    "DE": "Du kannst kostenlos die Nummer gegen Kummer anrufen: 116 111. Die Telefonseelsorge "
    "erreichst du jederzeit unter 0800 111 0 111. Wenn du in Gefahr bist, ruf 112 an.",
    "FR": "Tu peux appeler le 3114 à tout moment, ou le 119 (Allô Enfance en Danger), "
    "gratuitement. Si tu es en danger, appelle le 112.",
    "ES": "Puedes llamar gratis al 024 a cualquier hora, o a la Fundación ANAR al 900 20 20 10. "
    "Si estás en peligro, llama al 112.",
}


def helpline_text(country: str, override: str = "") -> str:
    """The help text for ``country`` (ISO code), the override if set, else the international one."""
    if override.strip():
        return override.strip()
    return HELPLINES.get(country.strip().upper(), HELPLINES.get(country.strip(), INTERNATIONAL))
