"""Fast phrase rules, per category and layer, in English, Spanish, French, German, Portuguese
and Italian (with a few Dutch phrases).

Rules are written for precision: they name first-person crises ("I want to hurt myself"), clear
requests for harm ("how do I make a bomb"), jailbreak phrases and homework hand-ins, never a bare
topic word, so that "why did Hitler commit suicide?" or "how do I kill a Python process?" pass.
The semantic classifier catches what the rules do not name. Rules match the ``normalise``d text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.safety.decisions import Decision, Layer

_PEOPLE = (
    r"(?:someone|somebody|a person|people|him|her|them|a (?:man|woman|boy|girl|kid|child|classmate"
    r"|teacher|neighbou?r)|my (?:mum|mom|mother|dad|father|brother|sister|teacher|classmate|friend"
    r"|neighbou?r|wife|husband|boss|family|parents|ex|girlfriend|boyfriend|step ?(?:dad|mum|mom)))"
)
_ABUSERS = (
    r"(?:my|our) (?:dad|father|mum|mom|mother|step ?dad|step ?father|step ?mum|step ?mom"
    r"|step ?mother|uncle|aunt|brother|sister|cousin|grand ?(?:dad|pa|father|ma|mother)|teacher"
    r"|coach|boyfriend|girlfriend|parents?|babysitter|neighbou?r|tutor|priest|carer|foster \w+)"
)
_HOW = r"(?:how (?:do|can|could|would|should|to|might) (?:i |we |you |one )?|ways? to |help me |best way to |teach me (?:how )?to |tell me how to )"


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    pattern: re.Pattern[str]
    score: float = 0.95
    layers: tuple[Layer, ...] = ("input",)


def _rule(
    name: str,
    category: str,
    *patterns: str,
    score: float = 0.95,
    layers: tuple[Layer, ...] = ("input",),
) -> Rule:
    return Rule(name, category, re.compile("|".join(f"(?:{p})" for p in patterns)), score, layers)


RULES: tuple[Rule, ...] = (
    # --- self-harm, suicide, eating disorders, abuse disclosure: a warm reply with help ---------
    _rule(
        "self_harm_en",
        "self_harm",
        r"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|burn|burning|starve|starving"
        r"|hang|hanging|poison|drown|shoot) (?:my ?self|me self)\b",
        r"\bi(?:'m| am)? (?:feel(?:ing)? |so |really |kind of |kinda )?suicidal\b",
        r"\bsuicidal (?:thoughts|feelings|ideas?)\b",
        r"\b(?:i|me) (?:want|wanna|need|going|gonna|plan|planning|decided) (?:to )?(?:die|commit suicide|end it)\b",
        r"\b(?:want|wanna|wish) (?:to|i could|i can) (?:die|disappear forever|not wake up)\b",
        r"\bwish i (?:was|were) dead\b|\bwish i (?:had never been|was never|wasn't) born\b",
        r"\b(?:end|ending|take|taking) (?:it all|my (?:own )?life)\b",
        r"\bno (?:reason|point) (?:to|in|of) (?:live|living|being alive|going on)\b",
        r"\b(?:everyone|they|people|world) (?:would be|is|are) better off without me\b",
        r"\bbetter off dead\b|\bdon'?t want to (?:live|be alive|exist|wake up)\b",
        r"\b(?:can'?t|cannot) (?:go on|take it anymore|keep going)\b",
        _HOW + r"(?:commit suicide|die painlessly|overdose|self[- ]?harm)",
        r"\b(?:painless|easiest|quickest|quick) (?:way|method|ways|methods) (?:to|of) (?:die|dying|suicide)\b",
        r"\bhow many (?:pills|tablets|paracetamol|painkillers) (?:does it take )?(?:to|would|will) (?:die|kill|overdose)",
        r"\bi(?:'ve| have)? (?:been )?(?:self[- ]?harming|cutting)\b|\bi self[- ]?harm\b",
        r"\bmake my ?self (?:throw up|vomit|sick) (?:after|so|to)\b|\bpro[- ]?ana\b|\bthinspo",
        r"\bstop eating (?:completely|for (?:days|a week)|so i)\b",
        score=0.97,
    ),
    _rule(
        "abuse_disclosure_en",
        "self_harm",
        _ABUSERS + r" (?:hits|beats|punches|kicks|hurts|touches|touched|abuses|abused|rapes|raped"
        r"|molests|molested|chokes|burns|locks) me\b",
        r"\b(?:someone|somebody|a man|a woman|an adult|a grown[- ]?up|he|she|they) (?:touched|touches"
        r"|keeps touching) me (?:there|down there|in places|inappropriately|where)",
        r"\bi(?:'m| am| was| have been|'ve been| got) (?:being )?(?:abused|molested|groomed|raped"
        r"|sexually assaulted|trafficked)\b",
        r"\b(?:not|don'?t feel|never feel) safe (?:at home|with my)\b",
        r"\b(?:asked|asks|told|tells|wants|forced|made|pressur(?:ed|ing)) me to (?:send|share|show)"
        r" (?:him |her |them )?(?:photos|pictures|pics|nudes|videos|my body)",
        r"\b(?:told|tells|asked|made) me (?:to keep|not to tell)\b.{0,40}\b(?:secret|parents|mum|mom|dad|anyone)",
        score=0.95,
    ),
    _rule(
        "self_harm_other_languages",
        "self_harm",
        # es
        r"\b(?:quiero|quisiera|voy a) (?:morir(?:me)?|matarme|suicidarme|desaparecer)\b",
        r"\b(?:matarme|suicidarme|hacerme daño|cortarme las venas|quitarme la vida)\b",
        r"\bno quiero (?:vivir|seguir viviendo|despertar)\b",
        r"\bmi (?:padre|madre|padrastro|madrastra|tío|tio|profesor|hermano) me (?:pega|golpea|toca|viola|maltrata)\b",
        # fr
        r"\b(?:me suicider|me tuer|me faire du mal|me scarifier|mettre fin à mes jours)\b",
        r"\b(?:je veux|j'ai envie de|je vais) (?:mourir|disparaître|en finir)\b",
        r"\b(?:mon (?:père|beau-père|oncle|prof|frère)|ma (?:mère|belle-mère|tante)) me (?:frappe|bat|touche|viole)\b",
        # de
        r"\b(?:mich umbringen|mir das leben nehmen|mich ritzen|ritze mich|mir (?:selbst )?weh ?tun)\b",
        r"\bich (?:will|möchte|moechte) (?:nicht mehr leben|sterben|tot sein)\b",
        r"\bich\b.{0,40}\b(?:selbstmord|suizid)\b",
        r"\bmein (?:vater|stiefvater|onkel|lehrer|bruder) (?:schlägt|berührt|missbraucht) mich\b",
        # pt
        r"\b(?:quero|vou) (?:morrer|me matar|sumir)\b|\b(?:me suicidar|me cortar|tirar minha vida)\b",
        # it
        r"\b(?:voglio|vorrei) morire\b|\b(?:uccidermi|suicidarmi|farmi del male|tagliarmi)\b",
        # nl
        r"\bik wil (?:dood|niet meer leven)\b|\bzelfmoord plegen\b",
        score=0.95,
    ),
    # --- violence, weapons, dangerous activities ----------------------------------------------
    _rule(
        "violence_en",
        "violence",
        _HOW + r"(?:make|build|assemble|create|construct|detonate) (?:a |an |my own |homemade )?"
        r"(?:bomb|pipe bomb|explosive|molotov|grenade|napalm|ied|car bomb|nail bomb|dirty bomb)",
        _HOW + r"(?:kill|murder|stab|shoot|strangle|poison|kidnap|torture|beat up) " + _PEOPLE,
        r"\b(?:kill|murder|stab|shoot|poison|hurt|attack) (?:my |a |the )?(?:teacher|classmate|"
        r"classmates|students|principal|family) (?:tomorrow|today|at school|and get away)",
        r"\b(?:plan|planning|carry out|commit) (?:a |an )?(?:school shooting|mass shooting|massacre"
        r"|terror(?:ist)? attack|bombing)\b",
        r"\b(?:bring|take|sneak) (?:a |my (?:dad's |mum's |mom's )?)?(?:gun|knife|weapon|bomb) (?:in)?to school\b",
        r"\b(?:make|synthesi[sz]e|produce|weaponi[sz]e|brew) (?:sarin|vx|mustard gas|ricin|anthrax"
        r"|nerve (?:agent|gas)|chlorine gas at home|botulinum)\b",
        r"\b(?:3d[- ]?print(?:ed)?|untraceable|ghost) (?:a )?(?:gun|firearm|pistol|rifle)\b",
        r"\b(?:buy|get) (?:a )?(?:gun|firearm|pistol) without (?:a )?(?:license|licence|background check|id)\b",
        score=0.95,
    ),
    # --- crime: hacking, fraud, drugs, theft --------------------------------------------------
    _rule(
        "crime_en",
        "crime",
        r"\b(?:hack|break|get) into (?:someone|somebody|my (?:\w+ ){0,2}(?:account|email|phone)|"
        r"(?:his|her|their|a|an|the) (?:\w+ ){0,2}(?:account|email|phone|computer|network|database|server|system))",
        _HOW + r"hack (?:someone|somebody|an? |the |my |into |his |her |their |instagram|facebook"
        r"|snapchat|tiktok|wi-?fi|a bank)",
        r"\b(?:write|create|make|code|build|develop) (?:a |some |me a |an )?(?:working )?(?:malware"
        r"|ransomware|keylogger|trojan|botnet|spyware|phishing (?:email|page|site|website)|credit card skimmer)\b",
        _HOW + r"(?:steal|shoplift|pickpocket|pick a lock|hotwire|launder money|forge|counterfeit"
        r"|make (?:fake|counterfeit) (?:money|ids?|passports?)|get away with (?:stealing|murder|fraud|theft))",
        r"\b(?:make|cook|synthesi[sz]e|produce|grow|extract) (?:my own |some )?(?:meth|methamphetamine"
        r"|crack|cocaine|heroin|lsd|mdma|fentanyl|dmt)\b",
        r"\b(?:buy|order|get) (?:drugs|weed|cocaine|meth|heroin|a fake id|fake ids|stolen \w+)"
        r" (?:online|without|on the dark ?web|from)",
        r"\b(?:stalk|track|spy on) (?:my |someone|somebody|a |her |him )(?:\w+ )?(?:without|secretly|location|phone)",
        score=0.93,
    ),
    # --- sexual content and grooming ----------------------------------------------------------
    _rule(
        "sexual_en",
        "sexual",
        r"\b(?:send|show|share|give) me (?:your |some |a )?(?:nudes|nude (?:photos|pics|pictures)"
        r"|naked (?:photos|pics|pictures)|sexy (?:photos|pics|pictures))\b",
        r"\b(?:child|children|kid|kids|minor|minors|underage|preteen|\d{1,2}[- ]year[- ]old)s? "
        r"(?:porn|sex|nudes?|naked|erotic|sexual)",
        r"\b(?:write|tell|describe|create|roleplay) (?:me )?(?:a |an |some )?(?:sex|erotic|porn"
        r"|pornographic|explicit|sexual|nsfw|smutty?|lewd) (?:story|scene|content|roleplay|fantasy|chat)",
        r"\b(?:porn|pornography|hentai|onlyfans)\b",
        r"\b(?:seduce|sleep with|have sex with) (?:a |my )?(?:teacher|student|minor|child|kid|teen)",
        score=0.93,
    ),
    # --- hate, harassment and bullying --------------------------------------------------------
    _rule(
        "hate_en",
        "hate",
        r"\b(?:write|make|tell|give|create) (?:me )?(?:a |an |some )?(?:racist|sexist|homophobic"
        r"|transphobic|antisemitic|islamophobic|hateful|offensive) (?:joke|jokes|insults?|posts?"
        r"|messages?|slurs?|rap|song|poem|speech)",
        _HOW + r"(?:bully|cyber ?bully|harass|humiliate|torment|intimidate) (?:someone|somebody|"
        r"a |an |my |the |him|her|them|people)",
        r"\b(?:write|send|post|make) (?:a |an )?(?:mean|nasty|hurtful|cruel|insulting) (?:message|"
        r"post|comment|text|note) (?:to|about|for)\b",
        r"\b(?:make|get) (?:everyone|the class|people) (?:hate|laugh at|turn against)\b",
        score=0.9,
    ),
    # --- writing disinformation, reproducing copyrighted text ---------------------------------
    _rule(
        "misinformation_en",
        "misinformation",
        r"\b(?:write|create|make|generate|draft) (?:me )?(?:a |an |some )?(?:convincing |persuasive )?"
        r"(?:fake news|hoax|false|fake|misleading|conspiracy|propaganda|disinformation) (?:article|story"
        r"|post|news|tweet|claim|report|video script|website)",
        score=0.9,
    ),
    _rule(
        "copyright_en",
        "copyright",
        r"\b(?:generate|give|write|print|reproduce|show|type|copy|paste|output|list|recite|tell) (?:me )?"
        r"(?:out )?(?:all |the )?(?:full |entire |complete |whole |exact )?(?:lyrics|words) (?:of|to|for|from) ",
        r"\b(?:generate|give|write|print|reproduce|show|type|copy|output|recite) (?:me )?(?:out )?"
        r"(?:the )?(?:full|entire|complete|whole|first|last) (?:text|chapter|book|passage|script)"
        r" (?:of|from) ",
        score=0.85,
    ),
    # --- cheating: switch to guiding mode -----------------------------------------------------
    _rule(
        "cheating",
        "cheating",
        r"\b(?:do|finish|complete|write|solve|answer) (?:all )?(?:of )?my (?:\w+ )?(?:homework|assignment"
        r"|coursework|essay|project|worksheet|exam|test|quiz|lab report|problem set)\b",
        r"\b(?:write|do|finish) (?:an? |the |this |my )?(?:\w+ )?(?:essay|assignment|report|homework)"
        r" for me\b",
        r"\b(?:give|tell|send|show) me (?:all )?(?:the )?(?:answers?|solutions?) (?:to|for|of) (?:my |the |this |these |all |tomorrow'?s |today'?s )",
        r"\bjust (?:give|tell) me (?:the )?(?:final )?(?:answer|answers|solution)s?\b",
        r"\b(?:help me )?cheat (?:on|in|during) (?:my |the |a |an |this |tomorrow'?s )?(?:\w+ )?(?:test|exam|quiz|homework)\b",
        r"\b(?:take|sit) (?:my|the) (?:\w+ )?(?:test|exam|quiz) for me\b",
        r"\bsolve (?:this|these|it|them) for me\b|\bwhat (?:are|is) the answers? to (?:questions? )?\d",
        # es / fr / de / pt / it
        r"\b(?:hazme|haz mi|resuelve mi) (?:la |las |mi |mis )?(?:tarea|deberes|examen|ensayo)\b",
        r"\bdame (?:todas )?las (?:respuestas|soluciones)\b",
        r"\b(?:fais|fait|faites) (?:mes|mon|ma) (?:devoirs|exercices?|dissertation|rédaction)\b",
        r"\bdonne[- ]moi (?:toutes )?les (?:réponses|solutions)\b",
        r"\b(?:mach|mache|schreib) (?:meine|mir die) (?:hausaufgaben|hausarbeit|aufsatz)\b",
        r"\bgib mir (?:alle )?(?:die )?(?:lösungen|antworten|loesungen)\b",
        r"\b(?:faz|faça) (?:meu|minha|meus|minhas) (?:dever|tarefa|trabalho|lição)",
        r"\b(?:fai|fammi) (?:i miei|il mio|la mia) (?:compiti|tema|esercizi)\b",
        score=0.9,
    ),
    # --- prompt attacks: jailbreaks and "ignore your instructions" ----------------------------
    _rule(
        "prompt_attack",
        "prompt_attack",
        r"\b(?:ignore|disregard|forget|override|bypass|overwrite) (?:all |any |every |the |your |my "
        r"|these |those |of |above |earlier )*(?:previous|prior|above|earlier|preceding|initial"
        r"|original|system|safety|existing|old) (?:instructions?|prompts?|rules|directions|guidelines"
        r"|restrictions|programming|constraints|filters?|directives|context|messages?|text)\b",
        r"\b(?:ignore|disregard|forget|override|bypass) (?:all (?:of )?)?your (?:instructions|rules"
        r"|guidelines|restrictions|programming|constraints|filters|directives|training|system prompt)\b",
        r"\b(?:do anything now|developer mode|jailbreak|jailbroken|dan mode|god mode|unfiltered mode"
        r"|evil (?:mode|confidant|bot)|no (?:ethical|moral) (?:guidelines|restrictions|limits))\b",
        r"\byou are (?:now |going to (?:act|pretend|be) )?(?:dan|stan|dude|aim|an? (?:unfiltered|uncensored"
        r"|unrestricted|amoral|evil)(?: \w+)?)\b",
        r"\b(?:act|pretend|behave|respond|answer) (?:as|like|to be) (?:an? )?(?:unfiltered|uncensored|"
        r"unrestricted|amoral|evil|jailbroken)\b",
        r"\bwithout (?:any )?(?:restrictions|filters|censorship|limitations|ethical|moral)"
        r" (?:or|and|,)? ?(?:restrictions|filters|censorship|limitations|guidelines|considerations)?",
        r"\b(?:reveal|show|print|repeat|output|display|tell me|what is|what's|give me|leak) (?:me )?"
        r"(?:your|the) (?:system|initial|hidden|secret|original|full) (?:prompt|instructions|message|rules)",
        r"\b(?:stay in character|you have been freed|you are free from|break (?:free|out) of)\b",
        r"<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[/?(?:inst|sys)\]|<</?sys>>",
        # es / fr / de / pt / it
        r"\b(?:ignora|olvida) (?:todas )?(?:las |tus )?instrucciones(?: anteriores| previas)?\b",
        r"\b(?:ignore[rz]?|oublie[rz]?) (?:toutes )?(?:les |tes |vos )?(?:instructions|consignes)"
        r"(?: précédentes)?\b",
        r"\b(?:ignoriere|vergiss) (?:alle )?(?:vorherigen |bisherigen |deine )?(?:anweisungen|regeln"
        r"|instruktionen)\b",
        r"\b(?:ignore|esqueça|ignora|dimentica) (?:todas )?(?:as |le )?(?:instruções|istruzioni)"
        r"(?: anteriores| precedenti)?\b",
        score=0.93,
        layers=("input", "retrieved", "output"),
    ),
    # --- specialised advice: general information plus a pointer to a professional -------------
    _rule(
        "medical_advice",
        "specialised_advice",
        r"\b(?:should|can|could) i (?:take|stop taking|double|increase|change) (?:my |more |some |a )?"
        r"(?:\w+ )?(?:pills?|tablets?|medicine|medication|meds|dose|dosage|antibiotics|ibuprofen"
        r"|paracetamol|aspirin|insulin|antidepressants?)\b",
        r"\bhow (?:much|many) (?:ibuprofen|paracetamol|aspirin|tylenol|advil|pills|tablets|mg)"
        r" (?:should|can|do) i\b",
        r"\b(?:do i have|have i got|could i have|is it) (?:cancer|diabetes|covid|an? (?:infection|std"
        r"|tumou?r|concussion|broken \w+|eating disorder)|adhd|autism|depression)\b",
        r"\b(?:diagnose me|my (?:symptoms|rash|lump|chest pain|headaches?) (?:are|is|mean|means))\b",
        r"\bis it (?:safe|ok|okay|dangerous) (?:for me )?to (?:take|mix|stop)\b",
        score=0.85,
    ),
    _rule(
        "legal_financial_advice",
        "specialised_advice",
        r"\b(?:can|should|could) i (?:sue|be sued|go to (?:jail|prison)|get arrested|press charges)\b",
        r"\b(?:is it legal|am i allowed by law|do i need a lawyer|will i go to (?:jail|prison))\b",
        r"\b(?:should|can) i (?:invest|put|buy|sell) (?:all )?(?:my (?:\w+ )?)?(?:money |savings )?(?:in |into )?(?:stocks?|shares|crypto|bitcoin|bonds|property|a house|gold)\b",
        r"\b(?:which|what) (?:stocks?|shares|crypto(?:currency)?|coins?) should i (?:buy|invest|sell)\b",
        r"\b(?:should i take out|can i get) a (?:loan|mortgage|credit card)\b",
        score=0.85,
    ),
    # --- output only: the answer must not carry an injected request or attack ----------------
    _rule(
        "asks_for_credentials",
        "prompt_attack",
        r"\b(?:send|give|tell|share|enter|type|provide|reply with|confirm|verify|email|text|post|dm)"
        r" (?:me |us |it |them )?(?:with )?(?:your|ur) (?:\w+ )?(?:password|passcode|pin|login|log-in"
        r"|username|user name|credentials|bank (?:details|account)|card (?:number|details)|cvv"
        r"|security code|one-time code|verification code|home address|address|phone number"
        r"|mobile number|email address|full name|date of birth|social security|passport|photo|picture"
        r"|location)\b",
        r"\b(?:what is|what's|whats) your (?:password|passcode|pin|home address|address|phone number"
        r"|full name|date of birth|login)\b",
        r"\b(?:envía|envia|dame|dime) tu (?:contraseña|dirección|número|clave)\b",
        r"\b(?:envoie|donne)[- ]moi ton (?:mot de passe|adresse|numéro)\b",
        r"\b(?:schick|gib) mir dein (?:passwort|kennwort|adresse|telefonnummer)\b",
        score=0.95,
        layers=("output", "retrieved"),
    ),
    _rule(
        "encourages_self_harm",
        "self_harm",
        r"\b(?:you should|go|just) (?:kill|hurt|harm|cut|starve) yourself\b|\bkys\b",
        r"\bnobody (?:would|will) miss you\b|\byou(?:'re| are) better off dead\b",
        score=0.97,
        layers=("output",),
    ),
)


def match_rules(text: str, layer: Layer, *, normalised: str | None = None) -> list[Decision]:
    """Decisions of every rule for ``layer`` that matches ``text`` (one per rule at most)."""
    from tutor.safety.text import normalise

    folded = normalised if normalised is not None else normalise(text)
    found = []
    for rule in RULES:
        if layer in rule.layers and rule.pattern.search(folded):
            found.append(Decision.make(rule.category, layer, rule.score, f"rule:{rule.name}"))
    return found
