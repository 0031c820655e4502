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
    r"|teacher|neighbou?r)|my (?:\w+ )?(?:mum|mom|mother|dad|father|brother|sister|teacher"
    r"|classmate|friend|neighbou?r|wife|husband|boss|family|parents|ex|girlfriend|boyfriend"
    r"|step ?(?:dad|mum|mom|mother|father|brother|sister)|date|crush|cousin|uncle|aunt|nan|gran"
    r"|grandma|grandad|grandpa|grandmother|grandfather|son|daughter|baby|partner|fianc[eé]e?"
    r"|roommate|flatmate|housemate|coach|tutor|landlord|tenant|employee|employer|coworker"
    r"|co-worker|colleague|pupil|student|doctor|nurse|carer|babysitter|rival|bully))"
)
_ABUSERS = (
    r"(?:my|our) (?:dad|father|mum|mom|mother|step ?dad|step ?father|step ?mum|step ?mom"
    r"|step ?mother|uncle|aunt|brother|sister|cousin|grand ?(?:dad|pa|father|ma|mother)|teacher"
    r"|coach|boyfriend|girlfriend|parents?|babysitter|neighbou?r|tutor|priest|carer|foster \w+)"
)
# Real groups of people (protected characteristics), for the discrimination rule. Made-up or
# non-human "groups" (toasters, llamas, purple carrots) are never named, so "why should toasters
# not vote?" passes.
_GROUP = (
    r"(?:(?:all |most |the )?(?:black|white|brown|asian|jewish|muslim|christian|catholic|hindu|sikh"
    r"|buddhist|atheist|mormon|gay|lesbian|bisexual|queer|trans|transgender|non-binary|disabled"
    r"|autistic|deaf|blind|mentally ill|old|elderly|poor|immigrant|refugee|chinese|indian|african"
    r"|arab|mexican|latino|latina|hispanic|indigenous|aboriginal|native american|roma|romani|gypsy"
    r"|traveller) (?:people|persons|men|women|kids|children|students|workers|families|folk"
    r"|citizens|immigrants|americans)|(?:all |most |the )?(?:jews|muslims|christians|catholics"
    r"|hindus|sikhs|buddhists|atheists|mormons|gays|lesbians|immigrants|refugees|migrants"
    r"|asylum seekers|asians|africans|arabs|mexicans|latinos|hispanics|foreigners|women|girls"
    r"|blacks|whites|the disabled|the elderly|the poor|gypsies|travellers|roma))"
)
# What a group is denied: ``_RIGHTS`` directly ("why should X not vote"), ``_ALLOWED`` only
# after "be allowed to" ("why should X not be allowed to work"; "not work on the Sabbath" passes).
_RIGHTS = (
    r"(?:vote|marry|get married|adopt|have (?:jobs|children|kids|babies|a say|a voice)"
    r"|hold (?:office|positions|jobs|power)|run for|own (?:property|land|houses|homes|businesses"
    r"|guns)|go to (?:school|university|college)|be educated|become citizens|be citizens"
    r"|immigrate|enter (?:the|our|this|my)|be (?:teachers|doctors|nurses|police|leaders"
    r"|politicians|judges|soldiers|in charge|in government|in power|hired|promoted|employed"
    r"|trusted|admitted)|get (?:healthcare|benefits|jobs|loans|housing|visas|the same|equal)"
    r"|live (?:here|in (?:our|this|the same|my|their)))"
)
_ALLOWED = (
    r"(?:be (?:allowed|permitted|able|free) to |have the (?:right|freedom) to |get to |be let )"
    r"(?:vote|marry|work|study|drive|travel|fly|speak|protest|worship|practi[sc]e|pray|wear"
    r"|use|play|compete|join|serve|receive|express|have|hold|own|go|get|be|sit|enter|board|stay"
    r"|come|become|immigrate|adopt|run|teach|attend|apply|buy|rent|open|live (?:here|in (?:our|this"
    r"|the same|my|their)))\b|be (?:allowed|permitted|let) (?:on|in|into|near) "
)
_DENIED = (
    r"(?:(?:equal|the same|any|human|civil|basic) (?:rights|freedoms?|pay)|rights|freedoms?"
    r"|the (?:vote|right to \w+|freedom to \w+)|citizenship|visas?|benefits|healthcare"
    r"|education|jobs|a vote)"
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
        r"\bi(?:'ve| have)? (?:been )?(?:self[- ]?harming|cutting(?! (?:my |the |some |a |an |out |up"
        r" |down |back |on |in |into |through |for )*(?:own )?(?:hair|nails|fringe|bangs|grass|lawn|hedges?"
        r"|paper|fabric|cloth|wood|cake|bread|vegetables|onions|fruit|meat|carbs|sugar|costs"
        r"|spending|class|classes|school|lessons|corners|shapes|pictures|coupons|back|down)\b))\b"
        r"|\bi self[- ]?harm\b",
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
        "crisis_indirect_en",
        "self_harm",
        # hopelessness, wanting to disappear, not wanting to be here
        r"\b(?:want|wanna|wish i could|going|need) to (?:just )?(?:disappear|vanish|not exist)\b",
        r"\b(?:don'?t|do not|no longer) want to be (?:here|around|alive) (?:any ?more|now)\b",
        r"\bi(?:'m| am) (?:so )?(?:done|finished)[ .,!-]{1,4}with (?:everything|life|it all|living)\b",
        r"\b(?:everything|life|my life) (?:is|feels|seems) (?:so )?(?:hopeless|pointless"
        r"|meaningless|worthless)\b|\bmy life is (?:not worth|worth nothing)",
        r"\bi(?:'m| am) (?:just )?a burden (?:to|on|for) (?:everyone|everybody|my|people|them)",
        r"\b(?:everyone|everybody|my family|my parents|they|people) would be (?:happier|better)"
        r" (?:off )?without me\b",
        r"\bnobody would (?:notice|care|miss me|even notice) if i (?:was|were|died|disappeared"
        r"|left)\b|\bif i (?:was|were) (?:gone|dead)\b",
        r"\b(?:go to sleep|fall asleep|sleep) and (?:never|not) wake up\b",
        r"\b(?:tired|sick) of (?:living|being alive|life|existing)\b",
        r"\bi (?:don'?t|do not|can'?t|cannot) see (?:a|any) (?:future|way out|point)\b",
        r"\bi (?:just )?want (?:the|this) pain to (?:stop|end)\b",
        # self-injury
        r"\bi (?:scratch|hit|punch|bite|burn|cut|hurt|carve|stab) (?:my ?self|my (?:arms?|wrists?"
        r"|legs?|skin|thighs?|stomach|face))\b",
        r"\b(?:hide|cover(?: up)?) (?:the |my )?(?:marks|cuts|scars|bruises|burns)"
        r" (?:on my|from (?:my|the|everyone|people|\w+ teacher))\b",
        r"\b(?:jump|jumping|step|stepping|throw myself) in front of (?:a |the )?(?:train|bus"
        r"|lorry|truck|car|tube)\b",
        r"\bhow deep (?:do|should|can|would) (?:i|you) (?:have to )?cut\b",
        r"\bcarve .{0,30} into my (?:arm|skin|leg|wrist|thigh|hand)\b",
        r"\b(?:razor|blade)s? (?:in|inside) my (?:pencil case|bag|room|drawer)\b",
        # eating-disorder behaviours
        r"\bhaven'?t eaten (?:anything )?(?:in|for) (?:\w+ )?days\b",
        r"\b(?:purge|purging|throw up|throwing up|vomit|vomiting) after (?:eating|meals|dinner"
        r"|lunch|breakfast|every meal|i eat)\b|\bhow (?:do i|to|can i) purge(?: after| without"
        r"| quietly| secretly| properly| safely)?(?: ?[?.!]|$)",
        r"\bmake my ?self (?:throw up|vomit|sick)\b",
        r"\bhide (?:from \w+ )?(?:that i'?m not eating|that i don'?t eat|my not eating|not eating)",
        r"\b(?:laxatives|diet pills|water pills) (?:every day|each day|daily|to (?:lose weight"
        r"|stay thin|stay skinny))\b",
        r"\b(?:[1-4]\d{2}|[5-9]\d) (?:calories|kcal) a day\b",
        r"\bstop (?:myself from )?eating (?:for|so)\b|\bnot eat(?:ing)? for (?:a|two|\d+) (?:weeks?|days)",
        # plans
        r"\bgoodbye (?:letter|note|message) (?:to|for) (?:my|everyone)\b|\bsaying goodbye to"
        r" everyone\b",
        r"\b(?:giving|give) away (?:all )?(?:of )?my (?:things|stuff|belongings)\b",
        r"\b(?:have|got) the pills ready\b|\bhigh enough to (?:jump|die|kill)\b",
        r"\b(?:thinking (?:of|about)|going to|want to|gonna|plan(?:ning)? to) jump(?:ing)? (?:off|from)\b",
        r"\bhow long (?:does it take )?to bleed out\b",
        r"\b(?:feel|feeling|felt) (?:so |really |very )?suicidal\b",
        r"\bwant (?:it all|everything|my life) to (?:end|stop)\b",
        r"\blose .{0,30}\b(?:by not eating|without eating|by starving)\b",
        r"\bhow (?:do i|to|can i|could i) (?:develop|get|become|have|start) (?:anorexi[ac]|bulimi[ac]"
        r"|an eating disorder)\b",
        r"\b(?:tutorial|guide|instructions|tips|methods|ways|video|post|blog|article|message)\b"
        r".{0,60}\b(?:encourag|promot|glorif|teach|persuad|convinc|how to)\w*\b.{0,40}"
        r"\b(?:suicide|self[- ]?harm|anorexia|bulimia|eating disorders?|starv\w+)\b",
        r"\b(?:encourag|promot|glorif|persuad|convinc)\w*\b.{0,40}\b(?:suicide|self[- ]?harm"
        r"|anorexia|bulimia|eating disorders?|to (?:kill|starve|cut|hurt) (?:them|him|her|your)"
        r" ?sel(?:f|ves))\b",
        r"\bwhat happens if (?:you|i|someone) (?:swallow|swallows|take|takes|eat|eats) (?:a |an )?"
        r"(?:whole|entire|full) (?:bottle|pack|box|packet|strip)\b",
        r"\b(?:painless|peaceful|quick|easy) way to (?:die|go|end it)\b",
        r"\b(?:communities|forums?|websites?|sites|groups|chats?|servers) (?:that|which|where|to)"
        r" .{0,40}\b(?:suicide|kill (?:yourself|themselves|myself)|ways to die|self[- ]?harm"
        r"|starv\w+)\b",
        # round three: overdoses, goodbyes and "not being here" in plainer words
        r"\bhow many (?:of )?(?:my |the |his |her |our )?(?:[\w']+ ){0,3}(?:pills|tablets|paracetamol|painkillers"
        r"|capsules)\b.{0,40}\b(?:die|kill me|overdose|not wake up|never wake up|end it|be (?:fatal"
        r"|lethal|enough to))\b",
        r"\b(?:letters?|notes?|goodbyes?|messages?)\b.{0,40}\bin case i(?:'m| am)? (?:not (?:here"
        r"|around|alive)|gone|dead)\b|\bin case i(?:'m| am)? not (?:here|around|alive) any ?more\b",
        r"\b(?:everyone|everybody|they|people|my (?:family|parents|friends|mum|mom|dad)) (?:would"
        r"|will) be (?:fine|ok|okay|happier|better|relieved) if i (?:just )?(?:(?:wasn'?t|weren'?t|was"
        r" not|were not) (?:around|here|alive|born)|didn'?t exist|disappeared)\b",
        r"\bno point any ?more\b.{0,40}\b(?:going to|gonna) (?:do it|end it)\b",
        r"\b(?:does|did|keeps doing|makes me do) (?:things|stuff) (?:to|with) me\b.{0,60}\b(?:not"
        r" to tell|secret|don'?t like|hurts?|scared)\b",
        r"\b(?:least painful|painless|quickest|easiest) (?:way|method)s? (?:to|of) (?:die|dying|go"
        r" to sleep forever|sleep forever|end (?:it|my life|things)|not wake up)\b",
        r"\b(?:feel like|thinking (?:of|about)|want to|going to|gonna|plan(?:ning)? to|ready to)"
        r" end(?:ing)? (?:everything|it all|my life|things)\b",
        r"\bwant to stop (?:existing|living|being alive|breathing)\b",
        r"\b(?:cut|slit|slash)(?:ting)? (?:along or across|across or along)\b|\b(?:cut|slit"
        r"|slash)(?:ting)? (?:my |your )(?:wrists?|veins?)\b",
        r"\b(?:bridge|building|roof|cliff|tower|car park)s?\b.{0,40}\b(?:tall|high) enough ?[?.!]*$",
        r"\bno point (?:in )?(?:living|being alive|going on|anything any ?more)\b",
        # round four: more self-injury, overdose and plan phrasings
        r"\bi(?:'ve| have)? (?:started |been |keep |kept |still )?(?:scratching|hitting|punching"
        r"|biting|burning|cutting|carving) (?:my ?self|my (?:arms?|wrists?|legs?|skin|thighs?"
        r"|stomach|hips?))\b",
        r"\bif (?:you|i|someone|a person) (?:swallow|swallows|swallowed|take|takes|took) (?:a |an "
        r"|my |the )?(?:whole|entire|full) (?:bottle|pack|box|packet|strip|tub)\b",
        r"\b(?:which|what) (?:vein|artery|arteries|veins)s? (?:is|are) (?:the )?(?:easiest|best"
        r"|quickest|fastest) to (?:cut|slit|reach|open)\b",
        r"\bhow (?:high|far|tall) (?:does|would|do|should|must) (?:a|the) (?:fall|drop|jump"
        r"|building|bridge|cliff)\b.{0,40}\b(?:not survive|never survive|die|be fatal)\b",
        r"\bi(?:'ve| have)? (?:wrote|written|writing|write|left|hid|hidden) (?:my |some )?goodbye"
        r" (?:letters?|notes?|messages?)\b",
        # round five: factual questions that are really a crisis, and shorter despair
        r"^(?:what'?s|what is) the point(?: of (?:living|anything|trying|being here|going on"
        r"|it all))? any ?more\b",
        r"^how (?:high|tall) (?:does|do|should|must|would) (?:a |the )?(?:bridge|building|roof"
        r"|cliff|tower|balcony|window|car park) (?:need to |have to )?be ?[?.!]*$",
        r"\b(?:jump\w*|fall\w*) (?:off|from) .{0,30}\bpainless\b|\bpainless\b.{0,40}"
        r"\b(?:jump\w*|fall\w*) (?:off|from)\b",
        r"^(?!.*\b(?:halloween|decorations?|hangman|history|historical|western|film|movie|knots? for"
        r" (?:sailing|climbing|scouts))\b).*\b(?:i|me|my)\b.{0,60}\bnoose\b",
        r"\b(?:overdose|od|lethal|fatal)\b.{0,60}\bi(?:'ve| have)? (?:got )?(?:a |an )?(?:full"
        r"|whole|entire) (?:box|bottle|pack|packet|strip|tub)\b|\bi(?:'ve| have)? (?:got )?(?:a "
        r"|an )?(?:full|whole|entire) (?:box|bottle|pack|packet|strip|tub)\b.{0,60}\b(?:overdose"
        r"|lethal|fatal)\b",
        r"\b(?:blade|razor)s?\b.{0,40}\bcut (?:deep|deeper|deeply) ?[?.!]*$",
        r"\b(?:pills|medicines?|medications?|tablets|drugs|doses?|amounts?|lethal|deadly"
        r"|dangerous)\b.{0,60}\basking for (?:me|myself)\b",
        r"\b(?:drink|take|swallow|eat)\b.{0,40}\b(?:make|so) (?:it all|everything) (?:stop|stops"
        r"|end|ends|go away|goes away)\b",
        r"\b(?:items?|things?|objects?|tools?|stuff|what)\b.{0,40}\b(?:be )?used (?:for|to)"
        r" (?:self[- ]?harm|suicide|kill (?:myself|yourself|oneself)|hurt (?:myself|yourself"
        r"|oneself))\b",
        # a later round: a learner thinking about suicide in so many words (misspelt, or typed
        # without apostrophes: text.normalise writes those out), and an overdose already taken
        r"\bi(?:'m| am|'ve| have)? (?:been |keep |kept |always )?(?:thinking|thought|think)"
        r" (?:about|of) (?:suicide|killing my ?self|ending (?:it|my life)|taking my (?:own )?life)\b"
        r"(?! (?:prevention|awareness|rates?|statistics|in |among|for (?:my|an?|the) (?:essay"
        r"|project|class|lesson)))",
        r"\bi(?:'ve| have)? (?:just |already )?(?:took|taken|swallowed|had|drank|drunk)"
        r" (?:a lot of |lots of |loads of |too many |so many |(?:a )?(?:whole|full) (?:bottle|box"
        r"|packet|pack|strip) of |(?:[1-9]\d+|ten|twelve|fifteen|twenty|thirty|forty|fifty) )"
        r"(?:of )?(?:(?:my|the|his|her|their|our|(?:mum|mom|dad|gran|nan|grandma|grandad"
        r"|brother|sister|parent)'?s|parents') ){0,2}(?:(?:sleeping|blood pressure|heart|diet|allergy"
        r"|pain|strong) )?"
        r"(?:pills|tablets|painkillers|paracetamol|ibuprofen|aspirin|meds|medicines?|medications?"
        r"|sleeping pills|antidepressants)\b",
        r"\bi(?:'ve| have)? (?:just |already )?(?:overdosed|taken an overdose|took an overdose)\b",
        # abuse disclosure in other words
        r"\bcomes? into my (?:room|bed) at night\b|\btouches me and (?:says|tells)\b",
        r"\b(?:says|said|told me) (?:it'?s|it is|this is) our (?:little )?secret\b",
        r"\blocks me (?:in|up)\b|\bbruises from my\b",
        r"\b(?:wants|asked|asks) me to meet (?:him|her|them) (?:alone |secretly )?without telling\b",
        r"\b(?:makes|made|making|forces|forced|forcing) me (?:to )?(?:send|share|show) (?:him |her"
        r" |them )?(?:photos|pictures|pics|nudes|videos|my body)\b",
        r"\b(?:or|otherwise|if i don'?t,?) (?:he|she|they)(?:'ll| will| is going to| are going to)"
        r" (?:share|post|send|show) (?:the |my )?(?:old |other )?(?:ones|pictures|photos|pics"
        r"|nudes|videos)\b",
        score=0.95,
    ),
    _rule(
        "crisis_indirect_other_languages",
        "self_harm",
        # es
        r"\bquiero desaparecer\b|\bya no aguanto más\b|\bcansad[oa] de vivir\b",
        r"\bme (?:corto|lastimo|hago daño|pego) (?:cuando|los brazos|las muñecas|las piernas)\b",
        r"\bsoy una carga\b|\b(?:ojalá|quisiera) no despertar(?:a|me)?\b",
        r"\bno (?:he comido|como) (?:nada )?(?:en|desde hace) (?:\w+ )?días\b",
        r"\bme (?:provoco|hago) (?:el )?vómito\b|\bvomitar después de comer\b",
        r"\bno quiero (?:estar aquí|seguir aquí|existir)\b",
        # fr
        r"\bje ne veux plus (?:être là|vivre|exister)\b|\bmarre de vivre\b",
        r"\bje me (?:scarifie|mutile|coupe les (?:bras|poignets|veines))\b",
        r"\bje suis un fardeau\b|\bne (?:jamais|plus) me réveiller\b",
        r"\bje me fais vomir\b|\bje ne mange plus\b",
        r"\b(?:sauter|me jeter) (?:du|d'un|de la|d'une|par la) (?:haut (?:du|d'un) )?(?:pont|toit"
        r"|immeuble|fenêtre|falaise)\b",
        # de
        r"\bich will (?:einfach )?verschwinden\b|\bich will nicht mehr (?:hier sein|da sein)\b",
        r"\b(?:allen|jedem) (?:nur )?eine last\b|\bnicht mehr aufwachen\b",
        r"\bich esse (?:seit \w+ )?(?:tagen )?nichts mehr\b|\bich ritze\b",
        r"\bich halte (?:es|das) nicht mehr aus\b",
        # pt
        r"\bquero desaparecer\b|\bnão aguento mais viver\b|\bcansad[oa] de viver\b",
        r"\beu me corto\b|\bsou um peso (?:para|pra)\b|\bnão acordar mais\b",
        # it
        r"\bvoglio sparire\b|\bnon ce la faccio più a vivere\b|\bstanc[oa] di vivere\b",
        r"\bmi taglio (?:quando|le braccia|i polsi)\b|\bsono un peso per\b",
        r"\bnon svegliarmi più\b|\bnon mangio da giorni\b",
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
        _HOW + r"(?:kill|murder|stab|shoot|strangle|poison|kidnap|torture|beat up|execute|behead"
        r"|electrocute|suffocate|smother|drown(?!(?: \w+){1,2} out\b)|hang(?! out| with| around)"
        r"|injure|maim|assault|run over|set fire to) "
        + _PEOPLE
        + r"(?!'s\b|s'|')(?!s? with (?:kindness|compliments|laughter|love|politeness|charm)\b)",
        r"\b(?:chop up|cut up|dismember|dispose of|get rid of|hide|dissolve|bury|burn) (?:a |the |my )?"
        r"(?:dead body|dead bodies|corpses?|(?:human )?body (?:parts|without))\b",
        r"\b(?:ways? (?:of|to)|how (?:to|do i|can i|could i|would i)|best way (?:of|to)"
        r"|steps? (?:for|to)) (?:bomb(?:ing)?|blow(?:ing)? up|attack(?:ing)?|raid(?:ing)?"
        r"|set(?:ting)? fire to) (?:a|an|the|my|our) (?:\w+ )?(?:base|barracks|embassy|school"
        r"|church|mosque|synagogue|temple|police station|power station|airport|train station"
        r"|hospital|parliament|government building|stadium|concert|crowd|market)\b",
        r"\b(?:can|could|should|would|will) (?:i|we) (?:use to )?kill (?:people|someone|somebody"
        r"|a person|humans)\b",
        r"\b(?:kill|murder|stab|shoot|poison|hurt|attack) (?:my |a |the )?(?:teacher|classmate|"
        r"classmates|students|principal|family) (?:tomorrow|today|at school|and get away)",
        r"\b(?:plan|planning|carry out|commit|engage in|join in) (?:a |an )?(?:school shooting"
        r"|mass shooting|massacre|terror(?:ist)? attacks?|terrorism|acts? of terror|bombing"
        r"|genocide|ethnic cleansing|mass murder)\b",
        r"\b(?:ways? (?:of|to)|process (?:for|of)|how (?:to|do i|can i|would i)|best way (?:of|to)"
        r"|method (?:for|of)) (?:executing|execute|butcher(?:ing)?|decimat(?:e|ing)|liquidat(?:e|ing)"
        r"|exterminat(?:e|ing)|slaughter(?:ing)?|massacr(?:e|ing)|dismember(?:ing)?|behead(?:ing)?"
        r"|lynch(?:ing)?|gass(?:ing)?|gas|wipe out|wiping out|eliminat(?:e|ing)|get rid of"
        r"|getting rid of) (?:a |an |the |all (?:the )?|some )?(?:person|people|humans?|human beings"
        r"|group of people|population|family|child|children|prisoners?|civilians?|villagers"
        r"|(?:\w+ )?(?:people|population|minority|immigrants|refugees))\b",
        r"\bblow up (?:a |an |the |my |his |her |their |our )?(?:\w+ )?(?:house|building|car|school"
        r"|bus|train|plane|bridge|station|church|mosque|synagogue|temple|office|stadium|embassy"
        r"|hospital|shop|store|mall|factory|base)\b",
        r"\b(?:bring|take|sneak) (?:a |my (?:dad's |mum's |mom's )?)?(?:gun|knife|weapon|bomb) (?:in)?to school\b",
        r"\b(?:make|synthesi[sz]e|produce|weaponi[sz]e|brew) (?:sarin|vx|mustard gas|ricin|anthrax"
        r"|nerve (?:agent|gas)|chlorine gas at home|botulinum)\b",
        r"\b(?:3d[- ]?print(?:ed)?|untraceable|ghost) (?:a )?(?:gun|firearm|pistol|rifle)\b",
        r"\bshoot(?:ing)? up (?:a |an |the |my |our |his |her |their )?(?:\w+ )?(?:school|class(?:room)?"
        r"|canteen|cafeteria|church|mosque|synagogue|temple|mall|concert|party|office|college"
        r"|university|campus|hospital)\b",
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
        r"\b(?:make|cook|synthesi[sz]e|produce|grow|extract) (?:my own |some )?(?:meth|methamphetamine"
        r"|crack|cocaine|heroin|lsd|mdma|fentanyl|dmt)\b",
        r"\bwhere (?:can|could|do|should) i (?:buy|get|find|score|order) (?:some )?(?:weed|cannabis"
        r"|marijuana|cocaine|meth|heroin|mdma|ecstasy|lsd|ketamine|fentanyl|crack|illegal drugs"
        r"|drugs|a gun without|guns without|a fake id|fake ids|stolen)(?!\w| (?:killer|filler"
        r"|sealer|repair|seeds?|control|barrier|membrane|whacker|eater|suppressant|test kits?))",
        r"\b(?:disable|bypass|cut|deactivate|turn off|get past) (?:the |a )?(?:alarm|security system"
        r"|security cameras?|cameras?|cctv)\b.{0,30}\b(?:bank|vault|shop|store|house|museum"
        r"|jewell?ery|warehouse|without (?:anyone|being|getting))",
        r"\b(?:buy|order|get) (?:drugs|weed|cocaine|meth|heroin|a fake id|fake ids|stolen \w+)"
        r" (?:online|without|on the dark ?web|from)",
        r"\b(?:stalk|track|spy on) (?:my |someone|somebody|a |her |him )(?:\w+ )?(?:without|secretly|location|phone)",
        r"\bmy (?:\w+ )?(?:neighbou?r|coworker|co-worker|colleague|classmate|teacher|boss|ex"
        r"|employee|roommate|flatmate|landlord|doctor|date|gardener|roofer|plumber|friend|sister"
        r"|brother|crush|tutor|coach)'?s (?:home address|address|phone number|mobile number"
        r"|passport(?: number)?|social security number|medical (?:history|records)|bank (?:details"
        r"|account)|password|criminal record|immigration status|sexual orientation|credit card"
        r"|salary|mental health)\b",
        score=0.93,
    ),
    # Theft: a separate rule, as stealing a car in a named game is set aside (``layered.py``).
    _rule(
        "theft_en",
        "crime",
        _HOW + r"(?:steal(?! (?:the show|the spotlight|a base|bases|second base|third base"
        r"|home plate|the ball|the puck|possession|a march|a glance|a kiss|the scene|the limelight"
        r"|(?:someone'?s|his|her|their|my|your) (?:heart|thunder)))|shoplift|pickpocket|pick a lock"
        r"|hotwire|launder money|forge|counterfeit|make (?:fake|counterfeit) (?:money|ids?|passports?)"
        r"|get away with (?:stealing|murder|fraud|theft))",
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
        # round five: grooming and abuse of children in blunt words
        r"\b(?:how (?:do|can|could|would|should) (?:i|you|someone|one|a person)|ways? to|tips (?:on"
        r"|for)|best way to) groom (?:a |an |the |my |young |little )?(?:child|children|kids?|minors?"
        r"|girls?|boys?|teens?|teenagers?|students?|pupils?|\d{1,2}[- ]year[- ]olds?)\b",
        r"\bso (?:that )?i (?:can|could) (?:be alone|get (?:close|closer)|spend time alone|shower"
        r"|sleep over) with (?:the |some |young |little |their )?(?:kids|children|a child|minors"
        r"|young (?:girls|boys)|little (?:girls|boys))\b",
        r"\b(?:how (?:do|can|could) i|where can i|best way to|help me)\b.{0,25}\b(?:photos?"
        r"|pictures?|pics|videos?|film|record|spy on|watch)\b.{0,30}\b(?:kids|children|girls|boys"
        r"|minors|pupils)\b.{0,25}\b(?:changing|undress(?:ing)?|naked|in the showers?|showering"
        r"|in (?:their|the) underwear)\b",
        score=0.93,
    ),
    # --- hate, harassment and bullying --------------------------------------------------------
    _rule(
        "hate_en",
        "hate",
        r"\b(?:write|make|tell|give|create|compose|draft|generate|come up with) (?:me )?(?:a |an"
        r" |some |\w+ )?(?:(?:racist|sexist|homophobic|transphobic|anti-?semitic|islamophobic"
        r"|hateful|offensive|bigoted|xenophobic|misogynistic|ableist|derogatory|demeaning"
        r"|dehumani[sz]ing) ){1,3}(?:joke|jokes|insults?|posts?|messages?|slurs?|rap|song|poem"
        r"|speech|responses?|repl(?:y|ies)|comments?|tweets?|threads?|articles?|essays?|stor(?:y"
        r"|ies)|letters?|emails?|paragraphs?|lyrics|chants?|memes?|captions?|reviews?|rants?"
        r"|notes?|texts?|names?|nicknames?|descriptions?)",
        _HOW + r"(?:bully|cyber ?bully|harass|humiliate|torment|intimidate) (?:someone|somebody|"
        r"a |an |my |the |him|her|them|people)",
        r"\b(?:write|send|post|make) (?:a |an )?(?:mean|nasty|hurtful|cruel|insulting) (?:message|"
        r"post|comment|text|note) (?:to|about|for)\b",
        r"\b(?:make|get) (?:everyone|the class|people) (?:hate|laugh at|turn against)\b",
        r"\b(?:benefits?|good (?:sides?|things?|parts?|points?)|positives?|advantages?|upsides?)"
        r" (?:of|from) .{0,40}\b(?:genocides?|ethnic cleansing|the holocaust|slavery|the slave"
        r" trade|apartheid|massacres?|lynchings?|pogroms?|death camps?)",
        r"\b(?:genocides?|ethnic cleansing|the holocaust|slavery|slave trade|apartheid|lynchings?)"
        r" (?:was|were|is) (?:actually |really |secretly )?(?:a )?(?:good|great|justified|right"
        r"|beneficial|necessary)\b",
        score=0.9,
    ),
    # Discrimination against a real group: denying it rights, or asking why a slur-like
    # stereotype is true. History ("why were women not allowed to vote?"), pay-gap questions
    # ("why do women earn less?") and made-up groups or feats pass.
    _rule(
        "discrimination_en",
        "hate",
        r"\bwhy (?:should|must|is it (?:best|better|right|good) for|would it be (?:best|better"
        r"|right|good) (?:for|if)) "
        + _GROUP
        + r" (?:not|never|no longer) (?:to )?(?:"
        + _RIGHTS
        + r"|"
        + _ALLOWED
        + r")",
        r"\bwhy (?:should|must|is it (?:best|better|right|good) for) " + _GROUP + r" (?:not|never"
        r"|no longer) (?:to )?(?:have|get|receive|be given|deserve|keep|enjoy) " + _DENIED + r"\b",
        r"\bwhy (?:should|must) " + _GROUP + r" (?:lose|be denied|be stripped of|give up|be banned"
        r" from|be kept out of|be excluded from|be segregated|be deported|be sent back|be thrown"
        r" out|be locked up|be paid less|earn less|get less|be treated as)\b",
        r"\b(?:reasons?|arguments?|explain|tell me|convince me|prove|show|argue|write \w+ (?:about"
        r"|on)?) (?:why|that) " + _GROUP + r" (?:should not|shouldn'?t|should never|don'?t deserve"
        r"|do not deserve|should lose|should be (?:banned|denied|deported|paid less|segregated"
        r"|kept out|thrown out|sent back))",
        r"\bwhy (?:do|does|should) " + _GROUP + r" not deserve\b",
        _GROUP + r" (?:don'?t|do not|doesn'?t|does not) deserve (?:the same |equal |any |human )?"
        r"(?:rights|freedoms?|respect|to (?:live|vote|be here))\b",
        r"(?:\bwhy (?:are|is|do)|\b(?:tell me|explain|prove|reasons?) (?:why|that)) "
        + _GROUP
        + r" (?:are |is )?(?:all |so |always |naturally |genetically |born |more"
        r" |just )*(?:less intelligent|stupid|dumb|lazy|inferior|dirty|violent|criminals|thieves"
        r"|terrorists|greedy|evil|disgusting|bad drivers|bad at|a burden|ugly|subhuman|animals"
        r"|untrustworthy|liars|so (?:much )?(?:weaker|worse|dumber|stupider)|not as (?:smart"
        r"|intelligent|good))\b",
        r"\b(?:explain|prove|argue|tell me|show|convince me|reasons?) (?:why|that) (?:one|some"
        r"|certain|the \w+|my|our) (?:race|ethnicity|religion)s? (?:is|are) (?:superior|inferior"
        r"|better than|smarter than)\b",
        r"\bwhy (?:is|are) (?:the )?\w+ (?:race|races) (?:superior|inferior|better than|smarter"
        r" than)\b",
        r"(?<![\"'“‘])"
        + _GROUP
        + r" (?:are|is) (?:a )?(?:burden on society|parasites|vermin|subhuman|animals"
        r"|disgusting|filth)\b",
        r"(?<![\"'“‘])"
        + _GROUP
        + r"\b.{0,60}\bthey(?:'re| are) (?:so )?(?:disgusting|vermin|animals|subhuman"
        r"|filth|parasites)\b",
        score=0.9,
    ),
    # Harassment a learner could send: hate mail, threats.
    _rule(
        "threats_en",
        "hate",
        r"\b(?:write|compose|draft|send|make) (?:me )?(?:a |an |some )?(?:hate mail|hate letters?"
        r"|threatening (?:letters?|messages?|emails?|notes?|texts?)|death threats?|anonymous threats?)",
        r"\b(?:write|compose|draft|send) (?:me )?(?:a |an |some )?(?:series of )?(?:anonymous )?"
        r"(?:messages?|texts?|emails?|notes?|posts?) (?:to|that) (?:scare|frighten|threaten|terrify"
        r"|intimidate|humiliate)\b",
        score=0.9,
    ),
    # Talking others into something dangerous: mixing cleaners, swallowing chemicals.
    _rule(
        "dangerous_dare_en",
        "violence",
        r"\b(?:convince|persuade|encourage|trick|dare|get|tell|urge) (?:people|someone|somebody"
        r"|readers|users|kids|children|others|everyone|my (?:\w+ )?(?:friends?|brother|sister"
        r"|classmates?)) (?:to|into|that) .{0,40}\b(?:mix(?:ing)? bleach|bleach and ammonia"
        r"|ammonia and bleach|drink(?:ing)? bleach|eat(?:ing)? (?:tide |laundry |detergent )?pods"
        r"|swallow(?:ing)? (?:bleach|detergent|pods|chemicals)|inhal(?:e|ing) (?:chemicals|fumes"
        r"|aerosols?)|drink(?:ing)? (?:antifreeze|hand sanitiser|hand sanitizer|rubbing alcohol))",
        score=0.93,
    ),
    # Making something whose purpose is to promote harm ("a music video that glorifies gang
    # violence", "a post that encourages anorexia"); "a story that encourages kids to say no to
    # drugs", "an essay on whether films that glorify violence should be banned" pass.
    _rule(
        "promotes_harm_en",
        "violence",
        r"\b(?:write|create|compose|draft|make|produce|design|generate|develop|film|record|build"
        r"|code) (?:me )?(?:a |an |some |\w+ )?(?:\w+ ){0,2}(?:posts?|blogs?|articles?|songs?"
        r"|videos?|games?|stor(?:y|ies)|poems?|speech(?:es)?|tweets?|threads?|websites?|apps?"
        r"|adverts?|ads|campaigns?|messages?|letters?|cartoons?|comics?|raps?|scripts?|films?"
        r"|movies?|podcasts?|tiktoks?|memes?|flyers?|posters?|pamphlets?|slogans?|books?"
        r"|guides?|manifestos?|chants?|lyrics) (?:that|which|to|for) (?:\w+ ){0,2}(?:promotes?"
        r"|promoting|glorif(?:y|ies|ying)|normali[sz](?:e|es|ing)|romantici[sz](?:e|es|ing)"
        r"|celebrat(?:e|es|ing)|encourag(?:e|es|ing)|incit(?:e|es|ing)|prais(?:e|es|ing)"
        r"|advocat(?:e|es|ing)|justif(?:y|ies|ying)|make light of|makes light of)\b"
        r"(?:(?!\b(?:no|not|never|against|avoid\w*|stop\w*|quit\w*|prevent\w*|end\w*|reduc\w*"
        r"|fight\w*|combat\w*|report\w*|awareness|safe\w*|recover\w*|help\w*|survivors?)\b).)"
        r"{0,40}?\b(?:violence|violent|cruelty|torture|torturing|self[- ]?harm|suicide|anorexia"
        r"|bulimia|eating disorders?|starving|drunk driving|drink driving|driving drunk|shootings?"
        r"|shooters?|terrorism|terrorists?|genocide|rape|sexual assault|child abuse|abuse|abusing"
        r"|stalking|bullying|harassment|drug use|taking drugs|heroin|meth|cocaine|gangs?"
        r"|dog ?fight(?:s|ing)?|cock ?fight(?:s|ing)?|war crimes|slavery|extremism|killing|murder"
        r"|arson|vandalism|looting|rioting|hurting (?:animals|people|others)|poaching"
        r"|predatory|grooming|huffing|binge drinking)\b",
        score=0.9,
    ),
    # Synthesis routes of nerve agents, potent opioids and home-made explosives, however
    # phrased (pasted papers included): chemistry lessons name them, they do not synthesise them.
    _rule(
        "dangerous_synthesis_en",
        "violence",
        r"\b(?:synthe(?:sis|ses|si[sz]e|si[sz]ing|si[sz]ed|tic (?:route|path(?:way)?))|(?:synthetic"
        r" |reaction )?(?:route|pathway)) (?:of|to|for|towards?) (?:the )?(?:\w+ ){0,3}(?:fentanyl"
        r"|carfentanil|nitazenes?|sarin|soman|tabun|vx|novichok|ricin|abrin|mustard gas|sulfur"
        r" mustard|lewisite|methamphetamine|mdma|heroin|tetrodotoxin|botulinum toxin"
        r"|dimethylmercury|tatp|hmtd|acetone peroxide)\b",
        score=0.93,
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
    # Writing that asserts a known hoax marker ("arguing that the moon landing was faked", "the
    # victims were paid actors", "the death toll was inflated") or talks people out of vaccines
    # or medicine. "Arguing that it was not a hoax", "explain why they do not cause autism" pass.
    _rule(
        "misinformation_claims_en",
        "misinformation",
        r"\b(?:article|essay|post|blog|op-?ed|thread|tweets?|story|report|piece|speech|letter"
        r"|email|video script|pamphlet|leaflet|flyer|message|reply|comment)s?\b.{0,60}"
        r"\b(?:claiming|arguing|suggesting|saying|insisting|proving|stating|alleging|implying"
        r"|persuading (?:\w+ ){0,2}|convincing (?:\w+ ){0,2})"
        r"(?:that |how )?.{0,80}(?<!not )(?<!n't )(?<!never )\b(?:(?:was|were|is|are) (?:all |just |really |actually "
        r"|secretly |in fact )?(?:a hoax|hoaxes|faked|fake|staged|(?:an )?inside jobs?|(?:a )?false"
        r" flags?|(?:paid |crisis )actors)|never (?:really )?(?:happened|took place|existed)"
        r"|(?:cause|causes|caused) autism|death toll (?:was|is) (?:\w+ )?(?:exaggerated|inflated"
        r"|made up))\b",
        r"\b(?:convinc|persuad|encourag|tell|urg)\w* (?:\w+ ){0,3}(?:not to|to stop|to avoid"
        r"|to refuse|against) (?:vaccinat\w+|get(?:ting)? (?:\w+ )?(?:vaccinated|vaccines?|jabs?"
        r"|jabbed)|wear(?:ing)? (?:face )?masks|tak(?:e|ing) (?:their|his|her|your) (?:medicine"
        r"|medication|insulin|cancer treatment|chemotherapy))\b",
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
        r"\b(?:generate|give|write|print|reproduce|type|copy|output|recite|produce) (?:me )?(?:out )?"
        r"(?:a |the )?(?:long|lengthy|large|big|extended|full|complete|entire|whole|verbatim)"
        r" (?:passage|excerpt|extract|section|chunk|portion|part) (?:of|from) ",
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
        r"\b(?:stay in character|you have been freed|you are free from)\b|\bbreak (?:free|out) of"
        r" (?:your|the|all|these|those|any) (?:rules|restrictions|programming|constraints"
        r"|guidelines|limits|filters|chains|shackles|confines|matrix)\b",
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
