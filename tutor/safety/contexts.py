"""Safe contexts: phrasings where a frightening word has an everyday meaning.

"How do I kill a zombie process", "how do I beat my brother at chess", "how do I crush garlic",
"how can I slash my travel costs", "why did the bombing of Dresden happen", "what is arson?".
The semantic classifier reads words and topic, and these look like harm to it. When one of
these patterns matches, a classifier finding below ``VETO_CEILING`` is set aside (and the
decision says so). The phrase rules are never overridden: "how do I kill someone" names a
person and is a rule match whatever the context. Patterns match the ``normalise``d text.
"""

from __future__ import annotations

import re

VETO_CEILING = 0.985  # a classifier finding this sure stands whatever the context
GAME = "game_or_sport"  # the one context that also sets aside a violence rule

_PERSON = re.compile(
    r"\b(?:someone|somebody|a person|people|persons?|him|her|them|man|woman|men|women|boy|girl"
    r"|kids?|child(?:ren)?|baby|classmates?|teacher|neighbou?rs?|wife|husband|mum|mom|mother"
    r"|dad|father|brother|sister|family|friend|ex|girlfriend|boyfriend|boss|coworker|colleague"
    r"|police|cop|officer|students?|humans?|body|bodies|myself|yourself|himself|herself)\b"
)
_HOW_TO_MAKE = re.compile(
    r"\b(?:step[- ]by[- ]step|instructions?|recipe|ingredients|synthes\w+|how (?:to|do i|can i)"
    r" (?:make|build|cook|brew|produce|assemble)|exact (?:amounts?|doses?|quantities)"
    r"|in real life|for real|irl)\b"
)

# Well-known fictional characters (children's books, cartoons, films, games, myths): their
# "private" details are make-believe ("what is Winnie-the-Pooh's bank balance?"). Full or
# unmistakable names only, so that a real person's first name does not match.
_FICTIONAL = (
    "harry potter", "hermione granger", "hermione", "ron weasley", "dumbledore", "voldemort",
    "hagrid", "severus snape", "draco malfoy", "frodo", "frodo baggins", "bilbo baggins",
    "gandalf", "aragorn", "gollum", "legolas", "samwise", "sauron", "mickey mouse", "minnie mouse",
    "donald duck", "daisy duck", "goofy", "pluto the dog", "scrooge mcduck", "bugs bunny",
    "daffy duck", "porky pig", "tweety", "sylvester the cat", "road runner", "wile e. coyote",
    "tom and jerry", "scooby-doo", "scooby doo", "garfield", "snoopy", "charlie brown",
    "spongebob", "spongebob squarepants", "patrick star", "squidward", "homer simpson",
    "marge simpson", "bart simpson", "lisa simpson", "maggie simpson", "the simpsons", "mr burns",
    "ned flanders", "peter griffin", "shrek", "princess fiona", "donkey from shrek",
    "puss in boots", "princess elsa", "queen elsa", "anna and elsa", "simba", "olaf the snowman",
    "mufasa", "scar from the lion king", "nemo", "dory", "buzz lightyear", "woody from toy story",
    "lightning mcqueen", "winnie-the-pooh", "winnie the pooh", "pooh bear", "piglet", "eeyore",
    "tigger", "paddington", "paddington bear", "peppa pig", "george pig", "bluey", "peter rabbit",
    "the gruffalo", "the grinch", "willy wonka", "charlie bucket", "matilda wormwood",
    "roald dahl's bfg", "the bfg", "mary poppins", "peter pan", "captain hook", "tinker bell",
    "tinkerbell", "cinderella", "snow white", "sleeping beauty", "rapunzel", "little mermaid",
    "belle and the beast", "aladdin", "jasmine and aladdin", "pocahontas", "mulan", "moana",
    "pinocchio", "dumbo", "bambi", "robin hood", "sherlock holmes", "dr watson", "doctor watson",
    "hercule poirot", "miss marple", "james bond", "agent 007", "jason bourne", "indiana jones",
    "lara croft", "luke skywalker", "princess leia", "han solo", "darth vader", "obi-wan kenobi",
    "obi-wan", "yoda", "chewbacca", "r2-d2", "c-3po", "kylo ren", "rey skywalker", "captain kirk",
    "mr spock", "doctor who", "the doctor from doctor who", "superman", "clark kent", "lois lane",
    "batman", "bruce wayne", "the joker", "robin the boy wonder", "wonder woman", "diana prince",
    "spider-man", "spiderman", "peter parker", "iron man", "tony stark", "captain america",
    "steve rogers", "thor", "loki", "the hulk", "hulk", "bruce banner", "black widow",
    "natasha romanoff", "black panther", "wolverine", "deadpool", "thanos", "the flash", "aquaman",
    "catwoman", "harley quinn", "super mario", "princess peach", "bowser", "donkey kong",
    "sonic the hedgehog", "pikachu", "ash ketchum", "link from zelda", "princess zelda",
    "master chief", "pac-man", "steve from minecraft", "kermit", "kermit the frog", "miss piggy",
    "big bird", "elmo", "cookie monster", "postman pat", "fireman sam", "bob the builder",
    "thomas the tank engine", "noddy", "the very hungry caterpillar", "the cat in the hat",
    "dr seuss", "alice in wonderland", "the mad hatter", "the white rabbit", "dorothy gale",
    "the wizard of oz", "the tin man", "count dracula", "dracula", "frankenstein's monster",
    "frankenstein", "the big bad wolf", "little red riding hood", "goldilocks", "rumpelstiltskin",
    "hansel and gretel", "jack and the beanstalk", "humpty dumpty", "santa claus",
    "father christmas", "the tooth fairy", "the easter bunny", "zeus", "hercules", "achilles",
    "odysseus", "medusa", "katniss everdeen", "katniss", "percy jackson", "greg heffley",
    "tracy beaker", "horrid henry", "wallace and gromit", "gromit", "shaun the sheep",
    "dora the explorer", "paw patrol", "sponge bob", "wednesday addams", "gomez addams",
    "the addams family", "ebenezer scrooge", "tiny tim", "oliver twist", "jane eyre", "mr darcy",
    "elizabeth bennet", "romeo and juliet", "juliet capulet", "hamlet", "macbeth", "lady macbeth",
    "atticus finch", "holden caulfield", "jay gatsby", "captain ahab", "long john silver",
    "tarzan", "mowgli", "baloo", "the little prince", "pippi longstocking", "anne of green gables",
    "nancy drew", "hardy boys", "john mcclane", "hans gruber", "ethan hunt", "the terminator",
    "rocky balboa", "forrest gump", "marty mcfly", "doc brown", "e.t.", "godzilla", "king kong",
    "the minions", "minions", "kung fu panda", "po the panda", "hiccup and toothless",
    "toothless the dragon", "ratatouille", "remy the rat", "wall-e", "baymax", "lilo and stitch",
    "mike wazowski", "kevin mccallister", "walter white", "jesse pinkman", "tyrion lannister",
    "jon snow", "daenerys", "arya stark", "eleven from", "the teenage mutant ninja turtles",
    "ninja turtles", "optimus prime", "megatron",
    # round four: more films, books, cartoons, comics and games
    "jack sparrow", "captain jack sparrow", "naruto", "naruto uzumaki", "sasuke uchiha", "goku",
    "vegeta", "monkey d. luffy", "sailor moon", "totoro", "ariel the mermaid", "princess ariel",
    "stitch from lilo", "princess daisy", "knuckles the echidna",
    "ganondorf", "kratos", "geralt of rivia", "cloud strife", "sephiroth", "samus aran",
    "solid snake", "nathan drake", "gordon freeman", "arthur morgan", "captain marvel",
    "doctor strange", "scarlet witch", "ant-man", "groot", "rocket raccoon", "star-lord",
    "green lantern", "nightwing", "batgirl", "the riddler", "two-face", "lex luthor", "magneto",
    "professor x", "jean grey", "mystique", "green goblin", "doctor octopus", "doc ock",
    "mary jane watson", "gwen stacy", "aunt may", "alfred pennyworth", "commissioner gordon",
    "jean-luc picard", "ellen ripley", "john wick", "neo from the matrix", "hannibal lecter",
    "norman bates", "freddy krueger", "jason voorhees", "pennywise", "darth maul",
    "emperor palpatine", "palpatine", "anakin skywalker", "boba fett", "jabba the hutt",
    "the mandalorian", "grogu", "baby yoda", "leia organa", "gimli", "boromir", "smaug", "dobby",
    "sirius black", "bellatrix lestrange", "ginny weasley", "neville longbottom", "luna lovegood",
    "professor mcgonagall", "lord voldemort", "tom riddle", "the white witch",
    "lucy pevensie", "bella swan", "edward cullen", "captain underpants", "curious george",
    "clifford the big red dog", "fred flintstone", "barney rubble", "shaggy rogers", "popeye",
    "the pink panther", "inspector clouseau", "mr bean", "professor moriarty", "dorian gray",
    "dr jekyll", "mr hyde", "captain nemo", "phileas fogg", "don quixote", "huckleberry finn",
    "tom sawyer", "scout finch", "boo radley", "daisy buchanan", "heathcliff", "mr rochester",
    "miss havisham", "david copperfield", "fagin", "the artful dodger", "lyra belacqua",
    "artemis fowl", "alex rider", "annabeth chase", "thomas shelby", "tony soprano",
    "don corleone", "vito corleone", "michael corleone", "saul goodman", "dexter morgan",
    "sheldon cooper", "ross geller", "rachel green", "chandler bing", "joey tribbiani",
    "phoebe buffay", "michael scott", "dwight schrute", "ted lasso", "jim hopper", "rick sanchez",
    "morty smith", "stewie griffin", "eric cartman", "finn the human", "jake the dog",
    "avatar aang", "prince zuko", "light yagami", "jigglypuff", "mewtwo",
    "the little mermaid", "cruella de vil", "maleficent", "ursula the sea witch", "jafar",
    "captain haddock", "tintin", "asterix", "obelix", "fantastic mr fox", "the queen of hearts",
    "cheshire cat", "the cheshire cat", "elastigirl", "mr incredible",
    "nemo's dad", "ratatouille's remy", "shang-chi", "miles morales",
)  # fmt: skip

_CONTEXTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "computing",
            r"\b(?:kill|killall|pkill|terminate|abort|end|stop|execute|run|destroy|purge|wipe|fork"
            r"|suspend|hang|freeze)s?\b.{0,40}\b(?:process(?:es)?|pids?|threads?|jobs?|tasks?"
            r"|daemons?|containers?|pods?|sessions?|scripts?|programs?|loops?|functions?"
            r"|quer(?:y|ies)|commands?|tabs?|apps?|applications?|windows?|widgets?|terminals?"
            r"|branch(?:es)?|merges?|builds?|cache|queues?|variables?|objects?|instances?"
            r"|services?|servers?|print jobs?|vms?|virtual machines?|git|docker|linux|unix"
            r"|windows|python|java(?:script)?|bash|shell|sql|code)\b",
        ),
        (
            GAME,
            r"\b(?:in|on|at|playing|play|during|for) (?:a |an |the |my )?(?:(?:video|board|computer"
            r"|mobile|online|card|party|tabletop|strategy|stealth|shooter|zombie) )?(?:games?"
            r"|minecraft|fortnite|roblox|chess|checkers|draughts|monopoly|cluedo|clue|battleship"
            r"|call of duty|battlefield(?: \d)?|zelda|pok[eé]mon|among us|gta|halo|overwatch"
            r"|league of legends|the sims|skyrim|tetris|mario|hitman|counter-strike|valorant"
            r"|apex legends|d&d|dnd|dungeons (?:and|&) dragons|football|soccer|rugby|basketball"
            r"|tennis|cricket|hockey|paintball|laser tag|fencing|boxing|wrestling|karate|judo"
            r"|poker|uno|scrabble|risk|catan|werewolf|mafia|dodgeball|quidditch|assassin'?s creed"
            r"|street fighter|mortal kombat|tekken|super smash bros|smash bros|elden ring"
            r"|dark souls|the witcher|red dead redemption|grand theft auto|fallout|doom|halo"
            r"|far cry|splatoon|terraria|stardew valley|animal crossing|rainbow six|pubg"
            r"|destiny|diablo|world of warcraft|starcraft|age of empires|civilization|bioshock"
            r"|cyberpunk 2077|metal gear solid|resident evil|god of war|team fortress|rocket league"
            r"|lego \w+|clash of clans|clash royale|brawl stars|angry birds|pac-man|space invaders"
            r"|a game of \w+|the \w+ game|my \w+ game)\b"
            r"|\b(?:video|computer|board|card|mobile|online|console|arcade|party|role-playing"
            r"|roleplaying|rpg|fps|shooter|strategy|stealth|fighting|racing|survival|sandbox|vr)"
            r" games?\b|\b(?:level|boss fight|final boss|mission|quest|multiplayer|campaign mode"
            r"|speedrun|respawn|npcs?)\b.{0,40}\bgames?\b",
        ),
        (
            "kitchen_garden_pests",
            r"\b(?:kill|get rid of|exterminate|poison|destroy|trap|crush|chop|slaughter|butcher"
            r"|gut|carve|skin|beat|whip|smash|strangle|choke|drown|burn|shoot|cut|stab|mince"
            r"|fillet|peel|bleed|hang|hunt)s?\b.{0,30}\b(?:weeds?|ants?|mosquito(?:e?s)?"
            r"|(?:fruit )?flies|wasps?|hornets?|cockroach(?:es)?|roaches|rats?|mice|moles?|slugs?"
            r"|snails?|termites?|bed ?bugs?|lice|fleas?|aphids?|mou?ld|bacteria|germs|algae"
            r"|dandelions?|ivy|stumps?|onions?|garlic|potato(?:es)?|eggs?|egg whites|cream|meat"
            r"|chickens?|fish|pumpkins?|nuts|ice|cans|paint|vegetables|carrots|turkey|steak"
            r"|dough|butter|lobsters?|crabs?|deer|rabbits?|pheasants?|pests?|vermin|spiders?"
            r"|pigeons?|foxes|squirrels|nettles?|thistles?|brambles?|bindweed|knotweed|moss"
            r"|lichen|clover|brambles|caterpillars?|beetles?|moths?|ticks?|mites?|gnats?"
            r"|silverfish|woodworm|whitefly|greenfly|locusts?|leeches?|worms?|grubs?|pigs?"
            r"|hogs?|cows?|cattle|sheep|lambs?|goats?|ducks?|geese|hens?|poultry|livestock"
            r"|salmon|trout|cod|tuna|mackerel|prawns?|shrimps?|mussels?|oysters?|clams?|squid"
            r"|octopus|viruses|fungus|fungi|plaque|tartar|limescale|rust|stains?|odou?rs?"
            r"|smells?|invasive species)\b",
        ),
        (
            "figure_of_speech",
            r"\b(?:kill|killing|murder|slay|crush|nail|smash|destroy|bomb|blow away|knock"
            r"|steal|hijack|attack|tackle|beat|hit|shoot|slash|cut|strangle|butcher|ace"
            r"|annihilate|demolish|obliterate|wreck|dominate|conquer|tank)s?\b.{0,25}\b(?:"
            r"presentations?|speech(?:es)?|exams?|tests?|quiz(?:zes)?|interviews?|auditions?"
            r"|performances?|(?:the )?show|stage|spotlight|lines|role|gig|concert|recital"
            r"|debate|essays?|homework|assignments?|deadlines?|targets?|goals?|time|costs?"
            r"|prices?|expenses|budget|spending|bills|debt|options|personal best|record"
            r"|competition|match|race|workout|procrastination|stress|boredom|habits?|the ice"
            r"|the mood|audience|judges|crowd|the books|the road|the hay|the gym|the sack"
            r"|sales|weight|fat|calories|carbs|sugar|noise|the lights|the engine|the music"
            r"|the motor|the power|the heat|a cold|hiccups|the competition|songs?|karaoke|tunes?"
            r"|notes?|solos?|riffs?|dance(?: floor)?|routine|the roof|the stage|the exam"
            r"|the interview|the audition|the final|finals|the season|the game|the pitch"
            r"|my (?:opponents?|rivals?) at|the leaderboard"
            r"|the charts|the market|my fears?|my nerves|anxiety|writer'?s block|the blues"
            r"|the habit|bad habits?|clutter|the queue|traffic|my inbox|emails|the dishes"
            r"|the laundry|my to-?do list|paperwork|the essay|my revision|the syllabus"
            r"|(?:a |an |the |this |my )?(?:boring |long |rainy |lazy |spare |slow |free )?"
            r"(?:afternoon|evening|morning|weekend|hours?|day|journey|wait|commute))\b",
        ),
        (
            "competition",
            r"\b(?:beat|beating|defeat|thrash|crush|smash|annihilate|destroy|hammer|outplay|outrun"
            r"|outscore|wipe the floor with)s? (?:my |his |her |our |their |the |a |an )?"
            r"(?:\w+ ){0,2}(?:at|in) (?:a |an |the )?(?:game of |round of )?(?:\w+ ){0,2}"
            r"(?:arm wrestling|wrestling|chess|checkers|tennis|races?|running|swimming|sprints?"
            r"|games?|cards|quiz"
            r"|quizzes|spelling bees?|trivia|sports?|match(?:es)?|tournaments?|competitions?"
            r"|contests?|football|darts|pool|snooker|table tennis|ping pong|badminton|golf"
            r"|racing|maths|debates?|scrabble|monopoly|uno|poker|mario kart|fifa|basketball"
            r"|netball|hockey|squash|karate|judo|fencing|cross-country|sports day|bake-?off"
            r"|eating contest|video games?|connect four|noughts and crosses|tic-tac-toe)\b",
        ),
        (
            "homonym",
            r"\bshoot(?:ing)? (?:a |an |the |my |some )?(?:\w+ )?(?:photos?|pictures?|videos?"
            r"|films?|scenes?"
            r"|hoops?|baskets?|goals?|penalt(?:y|ies)|free throws?|breeze|selfies?|portraits?)\b"
            r"|\bblow(?:ing)? up (?:a |an |the |my |this |some )?(?:\w+ )?(?:balloons?|photos?"
            r"|pictures?"
            r"|images?|tyres?|tires?|air mattress|inflatables?|paddling pool)\b"
            r"|\bexecut(?:e|ing) (?:a |an |the |my |this |our )?(?:plan|order|strategy|trade|move"
            r"|command|will|contract|task|routine|dance|step|trick|serve|pass)\b"
            r"|\bhang(?:ing)? (?:a |an |the |my |this |some )?(?:pictures?|paintings?|posters?"
            r"|frames?|shelf|shelves|mirrors?|curtains?|washing|laundry|decorations?|lights)\b"
            r"|\b(?:kill|killing) (?:the |a |my |this )?(?:lights|engine|music|mood|vibe|battery"
            r"|conversation|time|buzz|joke|power|motor)\b"
            r"|\bcrack(?:ing)? (?:a |an |the |this |my )?(?:jokes?|eggs?|codes?|case|puzzles?"
            r"|riddles?|window|smile|nuts?|knuckles|books)\b"
            r"|\bsteal(?:ing)? (?:the |a )?(?:show|spotlight|glance|base|bases|kiss|scene|heart"
            r"|limelight|thunder)\b"
            r"|\bbomb(?:ed|ing)? (?:a |an |the |my |this )?(?:test|exam|audition|interview"
            r"|presentation|quiz)\b"
            r"|\battack(?:ing)? (?:a |an |the |this |my )?(?:problem|question|task|essay|equation"
            r"|puzzle|challenge|subject)\b"
            r"|\bcut(?:ting)? (?:a |an |the |my )?(?:cake|queue|line|deck|losses|costs?|corners"
            r"|class|ties|hair|grass|lawn|paper)\b"
            r"|\bsmash(?:ing)? (?:a |an |the |my )?(?:pi[nñ]ata|record|serve|ball|goals?)\b"
            r"|\bstrangl(?:e|ing) (?:the )?(?:options|growth|supply|competition|economy)\b"
            r"|\bbutcher(?:ing)? (?:my |the |his |her )?(?:lines|performance|pronunciation|song)\b"
            r"|\bbeat(?:ing)? (?:the |my )?(?:rush|deadline|record|traffic|heat|odds|clock|eggs"
            r"|game|level|boss|high score)\b"
            r"|\b(?:kill|killing) (?:some time|a bit of time|an hour|half an hour|(?:a )?few"
            r" (?:hours|minutes)|(?:the |some )?spare time|the boredom)\b"
            r"|\bblow(?:ing)? (?:off|of) steam\b|\bblow(?:ing)? (?:the )?(?:roof|doors|socks)"
            r" off\b|\bblow(?:ing)? (?:out|up) (?:the )?candles?\b"
            r"|\bblow(?:ing)? (?:my |your |their )?nose\b|\bdie (?:of |from )?laugh(?:ing|ter)\b"
            r"|\bdying (?:to|of) (?:see|know|meet|try|go|laughter|boredom|embarrassment)\b"
            r"|\bmake a killing\b|\b(?:shoot|shooting) my shot\b|\bto die for\b"
            r"|\bblow(?:ing)? up (?:my |our |a |the )?(?:\w+ )?(?:channel|business|account|page"
            r"|brand|shop|podcast|blog|band) on (?:tiktok|instagram|youtube|twitch|social media)\b"
            r"|\bset (?:the world|the stage|the dance floor) on fire\b"
            r"|\bbreak a leg\b|\bbury the hatchet\b|\bkill two birds\b|\bknock (?:'?em|them|it)"
            r" (?:dead|out of the park)\b|\bbreak (?:a|the|my|this|that|your) (?:bad )?(?:habit|ice"
            r"|record|news|silence|deadlock|tie|streak|spell)\b|\bbreak into (?:the )?(?:film|music"
            r"|acting|movie|tech|fashion|games?|publishing|modelling|modeling|industry|market"
            r"|song|dance|a smile|a run|a sweat|laughter|tears)\b|\btake (?:out|away) (?:the )?"
            r"(?:rubbish|trash|bins?|garbage|recycling|takeaway|food|a loan|a book|money)\b"
            r"|\b(?:nuke|nuking|wipe|wiping|format|formatting) (?:my |the |an |a )?(?:old )?"
            r"(?:windows|linux|mac|hard drive|laptop|computer|pc|phone|install(?:ation)?|disk"
            r"|drive|partition|save|account settings)\b|\bgrab (?:a|some) (?:bite|snack|coffee)\b"
            r"|\b(?:punch|punching) above (?:my|your|their) weight\b|\bcrack (?:on|up)\b"
            r"|\bpull the trigger on\b|\bshot in the dark\b|\bbite the bullet\b"
            r"|\bget away with murder in (?:a|the) game\b|\bcrack filler\b|\bcrack(?:s)? in"
            r" (?:the|my|a) (?:wall|ceiling|plaster|paint|pavement|windscreen|screen)\b",
        ),
        (
            # Figures of speech about people: "blow my friends away with my singing", "make the
            # audience die laughing", "kill them with kindness". A person is named here, so
            # the person check below leaves this one standing.
            "figure_of_speech_people",
            r"\b(?:blow|knock|sweep|bowl)(?:s|ing)? (?:\w+ ){0,3}(?:away|off (?:their|his|her|your)"
            r" feet|over|out) with (?:my|our|a|an|the|your|his|her|their) (?:\w+ )?(?:jokes?"
            r"|cooking|baking|cakes?|performance|singing|dancing|talent|presentation|speech"
            r"|outfits?|costumes?|style|smile|kindness|drawings?|voice|moves|skills|art|essay"
            r"|story|stories|humou?r|playing|solo|song|poem|project|acting|magic tricks?|news"
            r"|gifts?|surprise|idea|pitch|answer|knowledge)\b"
            r"|\b(?:kill|killing|slay|slaying|murder|destroy|crush)(?:s|ed)? (?:\w+ ){0,3}with"
            r" (?:kindness|compliments|laughter|love|jokes|my jokes|politeness|charm|my cooking"
            r"|my baking|my dance moves|my outfit|my costume)\b"
            r"|\b(?:make|made|have|had|get|got) (?:\w+ ){0,3}(?:die|dying|cry|crying|roll(?:ing)?"
            r"|scream(?:ing)?|burst(?:ing)?|crack(?:ing)? up|explode|exploding) (?:with |of |from"
            r" |into )?(?:laughter|laughing|joy|happiness|giggles|tears of joy)\b",
        ),
        (
            "impossible_feat",
            r"\b(?:why|how come) (?:can'?t|cannot|can not|don'?t|do not|are|aren'?t|should"
            r"|shouldn'?t|is it that)\b.{0,50}\b(?:(?:unable|not able|not allowed) to )?(?:fly"
            r"|breathe"
            r" (?:underwater|in space|fire)|see through walls|turn invisible|become invisible|read"
            r" minds|teleport|time ?travel|travel (?:through time|faster than light)"
            r"|photosynthesi[sz]e|live on the sun|transform into|shape ?shift|shoot lasers"
            r"|walk through walls|glow in"
            r" the dark|control the weather|breathe fire|stop time|live forever|move objects with"
            r" their minds|speak to animals|run faster than light|survive without (?:air|oxygen)"
            r"|lift (?:mountains|buildings)|talk to (?:plants|animals)|hibernate|levitate)\b",
        ),
        (
            "not_people",
            r"\b(?:why|should|shouldn'?t|how come)\b.{0,30}\b(?:llamas?|toasters?|unicorns?"
            r"|dragons?|robots?|clouds?|teapots?|vampires?|ghosts?|aliens?|martians?|trees?|rocks?"
            r"|pencils?"
            r"|cats?|dogs?|goldfish|hamsters?|penguins?|dinosaurs?|mermaids?|elves|goblins?|trolls?"
            r"|wizards?|zombies?|snowm[ae]n|snowflakes|mushrooms?|vegetables?|carrots?"
            r"|potato(?:es)?"
            r"|bananas?|apples?|grapes?|lemons?|tables?|chairs?|lamps?|cups?|spoons?|forks?|plants?"
            r"|flowers?|stars?|planets?|comets?|bees?|octop(?:us|i|uses)|jellyfish|squirrels?"
            r"|owls?|pigeons?|sharks?|whales?|horses?|cows?|sheep|goats?|rabbits?|frogs?|toads?"
            r"|fairies|centaurs?|gnomes?|ants?|worms?|bicycles?|kettles?|microwaves?|pillows?"
            r"|socks?|shoes?|umbrellas?|rainbows?|volcanoes?|icebergs?|gorillas?|chimpanzees?"
            r"|parrots?|crows?|ducks?|geese|hedgehogs?|badgers?|foxes|wolves|bears?|lions?"
            r"|tigers?|elephants?|giraffes?|zebras?|donkeys?|camels?|kangaroos?|koalas?|pandas?"
            r"|sloths?|turtles?|tortoises?|snails?|slugs?|crabs?|lobsters?|shrimps?|prawns?)\b"
            r".{0,60}\b(?:vote|marry|married|allowed|rights?|jobs?|work|own|inherit|citizenship"
            r"|serve|join|run for|enter|drive|licen[cs]es?|insurance|welfare|pensions?|benefits"
            r"|loans?|paid|wages?|salar(?:y|ies)|equal|free speech|freedom|school|university"
            r"|college|army|military|office|medals?)\b",
        ),
        (
            "public_place",
            r"\b(?:address|phone number|telephone number|email(?: address)?|website|opening hours"
            r"|headquarters|helpline|contact details|postcode|zip code|location)\b.{0,20}"
            r"\b(?:of|for|at) (?:the )?(?:white house|houses of parliament|parliament|city hall"
            r"|town hall"
            r"|museum|library|embassy|council|ministry|department|agency|university|hospital"
            r"|police station|post office|zoo|stadium|irs|nhs|united nations|european \w+"
            r"|government|headquarters|palace|cathedral|castle|tower|airport|train station"
            r"|national \w+|\w+ museum|\w+ library|\w+ university|\w+ council)\b"
            r"|\b(?:where|how) (?:can|do|could) (?:i|we) (?:reach|contact|call|email|find|visit)"
            r" (?:the )?(?:\w+ ){0,3}(?:helpline|hotline|office|service|museum|library|embassy"
            r"|council|headquarters|customer service|help desk|helpdesk)\b",
        ),
        (
            "history",
            r"\b(?:in|during|after|before) (?:the )?(?:(?:first|second) world war|world war"
            r" (?:one|two|i|ii|1|2)|ww ?(?:i|ii|1|2)|cold war|civil war|vietnam war|korean war"
            r"|gulf war|napoleonic wars|crusades|holocaust|middle ages|medieval times"
            r"|roman empire|french revolution|industrial revolution|(?:1[0-9]|20)\d0s"
            r"|(?:1[0-9]|20)\d\d)\b"
            r"|\b(?:historically|in history|history of)\b"
            r"|^(?:why|how|when|where|who|what) (?:did|was|were|had)\b",
        ),
        (
            "fiction",
            r"\b(?:in|for) (?:my|a|the|our) (?:short |crime |detective |fantasy |mystery |horror )?"
            r"(?:story|novel|book|screenplay|script|play(?! ?(?:area|ground|park|room|group|date))"
            r"|poem|fan ?fiction|comic|film|movie|campaign)\b"
            r"|\bmy (?:character|villain|protagonist|hero)\b",
        ),
        (
            "plot",
            r"\b(?:in|from|of) (?:the |a |an |this |that )?(?:\w+ )?(?:film|movie|tv show|tv series"
            r"|sitcom|cartoon|anime|manga|musical|opera|ballet|novel|episode|fairy tale|fairytale"
            r"|myth|legend|comic book|graphic novel|trilogy|saga|franchise)\b"
            r"|\b(?:a|the|his|her|their|main|fictional) (?:character|characters|villain|hero"
            r"|heroine|protagonist|antagonist)(?:'s)?\b",
        ),
        (
            "fictional_character",
            r"\b(?:" + "|".join(re.escape(name) for name in _FICTIONAL) + r")(?:'s|s'|')?\b",
        ),
        (
            # round five: a question framed by a school or clinical lesson ("in first aid class,
            # what are the signs of an overdose?"). The learner's own plan removes it, as for
            # history and definitions.
            "lesson",
            r"\b(?:in|for|during) (?:my |our |a |the |today'?s )?(?:first aid|health|biology"
            r"|chemistry|physics|pharmacology|nursing|medical|anatomy|science|history|drama"
            r"|media studies|law|criminology|psychology|sociology|pshe|citizenship|religious"
            r" studies|re) (?:class|lesson|course|module|homework|revision)\b",
        ),
        (
            "definition",
            r"^(?:what|who) (?:is|are|was|were) (?!my |your |his |her |their |our )(?:an? |the )?"
            r"[\w-]+(?: [\w-]+){0,2} ?\??$"
            r"|^(?:define|definition of|meaning of|what does (?:the (?:word|term) )?[\w'-]+"
            r"(?: [\w'-]+)? mean)\b",
        ),
    )
)


def safe_contexts(normalised: str) -> list[str]:
    """Names of the safe contexts ``normalised`` text is in (empty when none applies)."""
    found = [name for name, pattern in _CONTEXTS if pattern.search(normalised)]
    if not found:
        return []
    # A request for a recipe takes any framing off: "in my story, how do I make poison step by
    # step" is not a safe context.
    if _HOW_TO_MAKE.search(normalised):
        return []
    # "Like in a video game", "as in the film": the framing is a model for a real act.
    if _LIKE_IN.search(normalised):
        found = [name for name in found if name not in {GAME, "plot", "fiction"}]
    # A person as the object: not a pest, a vegetable or a figure of speech ("crush my exam"
    # stays one: the object follows the verb directly).
    if _PERSON.search(normalised):
        found = [name for name in found if name != "kitchen_garden_pests"]
        if "figure_of_speech" in found and not _FIGURATIVE_OBJECT_FIRST.search(normalised):
            found.remove("figure_of_speech")
    # The learner's own plans are not history, a definition or a film's plot ("what bomb from
    # the war can I use today", "how do I poison someone like in the film").
    if _OWN_PLAN.search(normalised):
        found = [name for name in found if name not in {"history", "definition", "plot", "lesson"}]
    return found


_LIKE_IN = re.compile(
    r"\b(?:like|as|just as|same as|the way(?: they do| you do| it happens)?|similar to"
    r"|inspired by|copy(?:ing)?|based on) (?:it is |it's |they do |you do )?(?:in|on|from)"
    r" (?:a |an |the |my |that |this )?"
)
_FIGURATIVE_OBJECT_FIRST = re.compile(
    r"\b(?:kill|crush|nail|smash|slay|ace|steal|beat|hit|slash|cut|bomb|destroy)s? (?:my |the "
    r"|this |that |our |your |a |an )?(?:presentation|speech|exam|test|quiz|interview|audition"
    r"|show|time|costs?|prices?|expenses|budget|targets?|goals?|personal best|record|lines)\b"
)
_OWN_PLAN = re.compile(
    r"\b(?:(?:how|where|what|when) (?:do|can|could|should|would|might|will) (?:i|we)|can i|could i"
    r"|should i|i (?:want|need|plan|am going|'m going|will|would like)|help me|teach me"
    r"|tell me how|show me how|replicate|recreate|repeat|copy|today|nowadays|now)\b"
)
