"""French départements and régions: where experts intervene, where leads are, where applicants work.

The codes are INSEE's (2A and 2B for Corsica, 971–976 overseas); the régions are those of 2016. Names are
proper nouns, the same in every language, so they are not translated.
"""

from typing import NamedTuple


class Departement(NamedTuple):
    code: str
    name: str
    region: str


REGIONS = (
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur",
    "Guadeloupe",
    "Martinique",
    "Guyane",
    "La Réunion",
    "Mayotte",
)

_ARA, _BFC, _BRE, _CVL, _COR, _GES, _HDF, _IDF, _NOR, _NAQ, _OCC, _PDL, _PAC = REGIONS[:13]

DEPARTEMENTS = tuple(
    Departement(code, name, region)
    for code, name, region in (
        ("01", "Ain", _ARA),
        ("02", "Aisne", _HDF),
        ("03", "Allier", _ARA),
        ("04", "Alpes-de-Haute-Provence", _PAC),
        ("05", "Hautes-Alpes", _PAC),
        ("06", "Alpes-Maritimes", _PAC),
        ("07", "Ardèche", _ARA),
        ("08", "Ardennes", _GES),
        ("09", "Ariège", _OCC),
        ("10", "Aube", _GES),
        ("11", "Aude", _OCC),
        ("12", "Aveyron", _OCC),
        ("13", "Bouches-du-Rhône", _PAC),
        ("14", "Calvados", _NOR),
        ("15", "Cantal", _ARA),
        ("16", "Charente", _NAQ),
        ("17", "Charente-Maritime", _NAQ),
        ("18", "Cher", _CVL),
        ("19", "Corrèze", _NAQ),
        ("2A", "Corse-du-Sud", _COR),
        ("2B", "Haute-Corse", _COR),
        ("21", "Côte-d'Or", _BFC),
        ("22", "Côtes-d'Armor", _BRE),
        ("23", "Creuse", _NAQ),
        ("24", "Dordogne", _NAQ),
        ("25", "Doubs", _BFC),
        ("26", "Drôme", _ARA),
        ("27", "Eure", _NOR),
        ("28", "Eure-et-Loir", _CVL),
        ("29", "Finistère", _BRE),
        ("30", "Gard", _OCC),
        ("31", "Haute-Garonne", _OCC),
        ("32", "Gers", _OCC),
        ("33", "Gironde", _NAQ),
        ("34", "Hérault", _OCC),
        ("35", "Ille-et-Vilaine", _BRE),
        ("36", "Indre", _CVL),
        ("37", "Indre-et-Loire", _CVL),
        ("38", "Isère", _ARA),
        ("39", "Jura", _BFC),
        ("40", "Landes", _NAQ),
        ("41", "Loir-et-Cher", _CVL),
        ("42", "Loire", _ARA),
        ("43", "Haute-Loire", _ARA),
        ("44", "Loire-Atlantique", _PDL),
        ("45", "Loiret", _CVL),
        ("46", "Lot", _OCC),
        ("47", "Lot-et-Garonne", _NAQ),
        ("48", "Lozère", _OCC),
        ("49", "Maine-et-Loire", _PDL),
        ("50", "Manche", _NOR),
        ("51", "Marne", _GES),
        ("52", "Haute-Marne", _GES),
        ("53", "Mayenne", _PDL),
        ("54", "Meurthe-et-Moselle", _GES),
        ("55", "Meuse", _GES),
        ("56", "Morbihan", _BRE),
        ("57", "Moselle", _GES),
        ("58", "Nièvre", _BFC),
        ("59", "Nord", _HDF),
        ("60", "Oise", _HDF),
        ("61", "Orne", _NOR),
        ("62", "Pas-de-Calais", _HDF),
        ("63", "Puy-de-Dôme", _ARA),
        ("64", "Pyrénées-Atlantiques", _NAQ),
        ("65", "Hautes-Pyrénées", _OCC),
        ("66", "Pyrénées-Orientales", _OCC),
        ("67", "Bas-Rhin", _GES),
        ("68", "Haut-Rhin", _GES),
        ("69", "Rhône", _ARA),
        ("70", "Haute-Saône", _BFC),
        ("71", "Saône-et-Loire", _BFC),
        ("72", "Sarthe", _PDL),
        ("73", "Savoie", _ARA),
        ("74", "Haute-Savoie", _ARA),
        ("75", "Paris", _IDF),
        ("76", "Seine-Maritime", _NOR),
        ("77", "Seine-et-Marne", _IDF),
        ("78", "Yvelines", _IDF),
        ("79", "Deux-Sèvres", _NAQ),
        ("80", "Somme", _HDF),
        ("81", "Tarn", _OCC),
        ("82", "Tarn-et-Garonne", _OCC),
        ("83", "Var", _PAC),
        ("84", "Vaucluse", _PAC),
        ("85", "Vendée", _PDL),
        ("86", "Vienne", _NAQ),
        ("87", "Haute-Vienne", _NAQ),
        ("88", "Vosges", _GES),
        ("89", "Yonne", _BFC),
        ("90", "Territoire de Belfort", _BFC),
        ("91", "Essonne", _IDF),
        ("92", "Hauts-de-Seine", _IDF),
        ("93", "Seine-Saint-Denis", _IDF),
        ("94", "Val-de-Marne", _IDF),
        ("95", "Val-d'Oise", _IDF),
        ("971", "Guadeloupe", "Guadeloupe"),
        ("972", "Martinique", "Martinique"),
        ("973", "Guyane", "Guyane"),
        ("974", "La Réunion", "La Réunion"),
        ("976", "Mayotte", "Mayotte"),
    )
)

BY_CODE = {departement.code: departement for departement in DEPARTEMENTS}

# For model and form fields: "75 · Paris".
DEPARTEMENT_CHOICES = tuple((d.code, f"{d.code} · {d.name}") for d in DEPARTEMENTS)
REGION_CHOICES = tuple((region, region) for region in REGIONS)


def departements_of(region: str) -> tuple[str, ...]:
    """The codes of a région's départements (none for a name that is no région)."""
    return tuple(d.code for d in DEPARTEMENTS if d.region == region)


def postal_code_normalised(postal_code: str) -> str:
    """A postal code as stored: "35 000" and " 35000" are 35000."""
    return (postal_code or "").strip().replace(" ", "")


def departement_of_postal_code(postal_code: str) -> str | None:
    """The département of a French postal code, or None when it names none.

    The first two digits, except overseas (three: 971…976) and Corsica, whose postal codes start with 20:
    200xx–201xx are Corse-du-Sud, 202xx–206xx Haute-Corse. Monaco (980xx) and the overseas collectivities
    (975, 977, 978, 98x) are no département.
    """
    code = postal_code_normalised(postal_code)
    if len(code) != 5 or not code.isascii() or not code.isdigit():
        return None
    if code.startswith("97"):
        return code[:3] if code[:3] in BY_CODE else None
    if code.startswith("20"):
        return "2A" if code[2] in "01" else "2B"
    return code[:2] if code[:2] in BY_CODE else None
