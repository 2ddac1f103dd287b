"""Small stopword lists (keyphrases: de, en, fr, es, it; topic index: also pt, sv, da, nb, nl)."""

from __future__ import annotations

_RAW = {
    "de": """aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei
bereits beim bis bisher bin bist da dabei dadurch daher damit dann darauf darum das dass dem den
denn der des deshalb die dies diese diesem diesen dieser dieses doch dort du durch ein eine einem
einen einer eines einige er es etwa etwas euch fast für gegen gegenüber gibt hat hatte hätte habe
haben hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im immer in ins ist ja jedoch
jetzt kann kein keine können könnte laut man mehr mit muss nach nicht nichts noch nun nur ob oder
ohne schon sehr sei seien sein seine seinem seinen seiner seit sich sie sind so soll sollen sowie
über um und uns unter viel vom von vor war waren wäre was weil weiter wenn wer werden wie wieder
will wir wird wo wobei wurde wurden zu zum zur zwar zwischen zuletzt heute gestern morgen sagte
sagt erklärte mitteilte hieß worden demnach dazu zudem sowohl während jahr jahre jahren prozent
montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz april mai juni
juli august september oktober november dezember uhr rund ende beginn teil""",
    "en": """a about after again against all also an and any are as at be because been before being
between both but by can could did do does during each few for from further had has have having he
her here hers him his how i if in into is it its itself just more most my no nor not now of off on
once only or other our out over own same she should so some such than that the their them then
there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your said says told according year years percent monday
tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december new also week one two three mr mrs ms""",
    "fr": """a au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais
me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes
toi ton tu un une vos votre vous c d j l m n s t y été être avoir a ont est sont était plus selon
cette comme fait dit après aussi entre contre depuis lors""",
    "es": """a al algo ante antes como con contra cual cuando de del desde donde durante e el ella
ellos en entre era es esa ese eso esta este esto fue ha han hasta la las le les lo los más me mi
muy ni no nos o os para pero por que quien se sea ser si sin sobre son su sus también te tiene
todo tras un una uno y ya según dijo año años""",
    "it": """a ad al alla alle anche che chi ci come con cui da dal dalla dei del della delle di e
è ed gli ha hanno i il in io la le lei lo loro lui ma mi ne nei nel nella non o per più quale
quando questo questa se si sono su sua suo sue suoi tra un una uno già dopo secondo detto anno""",
}

STOPWORDS: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in _RAW.items()}
ALL = frozenset().union(*STOPWORDS.values())


def for_lang(lang: str) -> frozenset[str]:
    return STOPWORDS.get(lang, ALL)

# Function words of the other vocabulary languages, for the topic index only (label and
# definition words such as "och", "og", "para" carry no topic).
_MORE = {
    "pt": """a ao aos as com como da das de do dos e em entre na nas no nos o os ou para pela
pelas pelo pelos por que se sem sobre sua suas seu seus um uma outros outras geral""",
    "sv": """och att av den det en ett för från har i inte med men mot när om på som till under
vid var är också eller andra annat samt inom utan efter över sådant""",
    "da": """af at de den der det du efter eller en er et for fra har i ikke med men mod når og
om på som til under ved var også andre andet samt inden uden over""",
    "nb": """av at de den der det en er et for fra har i ikke med men mot når og om på som til
under ved var også eller andre annet samt innen uten over etter""",
    "nl": """de het een en van in op met voor aan door bij naar over uit als dat die dit is zijn
of ook niet maar om tot andere""",
}
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    **STOPWORDS, **{k: frozenset(v.split()) for k, v in _MORE.items()}}
FUNCTION_WORDS["nn"] = FUNCTION_WORDS["no"] = FUNCTION_WORDS["nb"]
