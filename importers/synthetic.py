"""A seeded generator of realistic synthetic FINESS extracts, in the exact legacy format.

It writes what data.gouv.fr publishes, so the importer runs on it unchanged:

- ``etalab-cs1100507-stock-<date>-0400.csv``: the metadata line, one ``structureet`` line
  of 32 fields per establishment, then the ``geolocalisation`` lines with 2026-style source
  texts (``1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)``) and coordinates
  inverse-projected with pyproj into Lambert-93 or the territory's UTM;
- ``etalab-cs1100501-stock-<date>-0400.csv``: the matching ``structureej`` lines.

Realism, not truth: towns are scattered around each department's prefecture inside its
rough box (``importers.geography``); organisations have skewed sizes (most run one ESSMS,
a few associations run 20 to 150); categories follow national proportions (EHPAD, SAAD,
ESAT, IME, SSIAD…, and health establishments, pharmacies first); a few establishments sit
on their commune centroid (score ``.``) and a few have no coordinates at all. Names,
towns, SIRET and FINESS numbers are invented. Same seed, same files.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from importers.categories import category
from importers.geography import (
    DEPARTMENTS,
    INSEE_TO_FINESS,
    REGIONS,
    Department,
)

#: Establishments per 100,000 lines of the national file, by category (rounded from the
#: 2026 extract's orders of magnitude): health first, then the ESSMS of the programme.
CATEGORY_WEIGHTS: dict[str, int] = {
    # health and others (not ESSMS)
    "620": 20500, "611": 3900, "603": 2600, "124": 2900, "156": 2700, "425": 1600,
    "223": 4600, "355": 700, "101": 150, "106": 300, "365": 900, "109": 1300, "362": 600,
    "292": 250, "127": 300, "141": 1200, "146": 800, "228": 1100, "606": 250, "412": 200,
    "247": 800, "258": 1000, "259": 1300, "436": 600, "699": 900, "604": 700,
    # ESSMS
    "500": 7500, "460": 9500, "354": 2300, "209": 350, "202": 2200, "207": 300, "381": 120,
    "501": 150, "502": 250, "183": 1200, "246": 1450, "448": 950, "449": 1900, "437": 250,
    "252": 500, "255": 700, "182": 1650, "186": 420, "189": 450, "190": 350, "192": 120,
    "188": 180, "445": 450, "446": 1300, "370": 350, "395": 120, "461": 200, "464": 40,
    "214": 900, "442": 120, "443": 950, "219": 250, "257": 450, "177": 1300, "175": 150,
    "236": 300, "295": 500, "286": 250, "166": 50, "172": 20, "241": 200, "441": 150,
    "378": 150, "462": 450, "340": 350, "341": 200, "344": 150, "197": 420, "178": 150,
    "165": 200, "180": 120, "213": 60, "608": 60, "640": 150, "463": 150,
}  # fmt: skip

#: Prefix of the synthetic names, by category.
NAME_PREFIX: dict[str, str] = {
    "620": "PHARMACIE", "611": "LABORATOIRE", "603": "MAISON DE SANTE", "124": "CENTRE DE SANTE",
    "156": "CMP", "425": "CATTP", "223": "PMI", "355": "CENTRE HOSPITALIER", "101": "CHU",
    "106": "HOPITAL LOCAL", "365": "CLINIQUE", "109": "CENTRE SSR", "362": "USLD",
    "292": "CHS", "127": "HAD", "141": "CENTRE DE DIALYSE", "146": "UNITE AUTODIALYSE",
    "228": "CENTRE DE SANTE SEXUELLE", "606": "DAC", "412": "APPARTEMENT THERAPEUTIQUE",
    "247": "ENTREPRISE ADAPTEE", "258": "PENSION DE FAMILLE", "259": "RESIDENCE SOCIALE",
    "436": "INSTITUT DE FORMATION", "699": "ENTITE AUTORISEE", "604": "CPTS",
    "500": "EHPAD", "460": "SAAD", "354": "SSIAD", "209": "SAAS", "202": "RESIDENCE AUTONOMIE",
    "207": "ACCUEIL DE JOUR", "381": "DISPOSITIF PA", "501": "EHPA", "502": "EHPA",
    "183": "IME", "246": "ESAT", "448": "EAM", "449": "FOYER DE VIE", "437": "FAM",
    "252": "FOYER D'HEBERGEMENT", "255": "MAS", "182": "SESSAD", "186": "ITEP", "189": "CMPP",
    "190": "CAMSP", "192": "IEM", "188": "EEAP", "445": "SAMSAH", "446": "SAVS",
    "370": "DISPOSITIF PH", "395": "ACCUEIL TEMPORAIRE", "461": "CENTRE RESSOURCES",
    "464": "UEROS", "214": "CHRS", "442": "CPH", "443": "CADA", "219": "CENTRE D'ACCUEIL",
    "257": "FJT", "177": "MECS", "175": "FOYER DE L'ENFANCE", "236": "PLACEMENT FAMILIAL",
    "295": "SERVICE AEMO", "286": "PREVENTION SPECIALISEE", "166": "CENTRE PARENTAL",
    "172": "POUPONNIERE", "241": "CENTRE EDUCATIF", "441": "STEMO", "378": "DISPOSITIF ASE",
    "462": "LIEU DE VIE", "340": "SERVICE MJPM", "341": "SERVICE MASP", "344": "SERVICE DPF",
    "197": "CSAPA", "178": "CAARUD", "165": "ACT", "180": "LHSS", "213": "LAM",
    "608": "EMMSP", "640": "SAAD FAMILLES", "463": "CLIC",
}  # fmt: skip

#: Relative weight of the most populated departments (the others weigh 1).
DEPARTMENT_WEIGHTS: dict[str, float] = {
    "59": 4.0, "75": 3.5, "13": 3.2, "69": 3.0, "92": 2.6, "93": 2.6, "33": 2.6, "31": 2.2,
    "62": 2.4, "94": 2.2, "44": 2.2, "78": 2.2, "77": 2.2, "91": 2.0, "95": 2.0, "06": 1.8,
    "67": 1.8, "34": 1.8, "76": 2.0, "38": 2.0, "35": 1.7, "974": 1.4, "971": 0.8,
    "972": 0.7, "973": 0.5, "976": 0.5, "975": 0.05, "977": 0.05, "978": 0.1, "986": 0.05,
    "48": 0.4, "23": 0.5, "90": 0.5, "05": 0.6, "04": 0.6, "15": 0.6, "2A": 0.5, "2B": 0.6,
}  # fmt: skip

#: Regions of ``grappes demo``: Bretagne, Pays de la Loire and La Réunion.
DEMO_REGIONS: tuple[str, ...] = ("53", "52", "04")

#: The 2026 ``sourcecoordet`` CRS texts, by EPSG code.
CRS_TEXT: dict[int, str] = {
    2154: "EPSG:2154 RGF93 / Lambert-93 (Métropole)",
    5490: "EPSG:5490 RGAF09/UTM Zone 20N (Antilles)",
    2972: "EPSG:2972 RGFG95/UTM Zone 22N (Guyane)",
    2975: "EPSG:2975 RGR92/UTM Zone 40S (Réunion)",
    4471: "EPSG:4471 RGM04/UTM zone 38S (Mayotte)",
    32621: "WGS84/UTM zone 21N (St-Pierre-et-Miquelon)",
    32701: "WGS84 / UTM 1S",
}

#: FINESS number prefixes of overseas departments (FINESS numbers, not INSEE codes).
NUMBER_PREFIX: dict[str, str] = {
    "971": "9701", "972": "9702", "973": "9703", "974": "9704", "975": "9750",
    "976": "9805", "977": "9701", "978": "9701", "986": "9806",
}  # fmt: skip
#: Postcodes of the collectivities FINESS files under 9A.
COLLECTIVITY_POSTCODE = {"977": "97133", "978": "97150"}
COLLECTIVITY_COMMUNE = {"977": "123", "978": "127"}

_TOWN_START = ["SAINT", "SAINTE", "LE", "LA", "LES", "NOTRE-DAME", "VILLE", "MONT", "PONT"]
_TOWN_ROOT = [
    "MARTIN", "ROCHE", "FONTAINE", "BOIS", "CHENE", "MOULIN", "VAL", "PRE", "CHAMP", "MARAIS",
    "COMBE", "BRUYERE", "CROIX", "FOSSE", "GRANGE", "PLESSIS", "MESNIL", "VILLERS", "BREUIL",
    "ETANG", "GUE", "LANDE", "PIERRE", "SAULE", "TILLEUL", "VIGNE", "AULNAY", "BOSC", "CLOS",
]  # fmt: skip
_TOWN_END = ["", "", "", "-SUR-MER", "-SUR-LOIRE", "-LES-BAINS", "-EN-VAL", "-LE-CHATEAU",
             "-DES-CHAMPS", "-LA-FORET", "-SUR-RIVIERE"]  # fmt: skip
_PATRONS = [
    "LES TILLEULS", "LES GLYCINES", "LE CLOS FLEURI", "SAINT JOSEPH", "LA SOURCE",
    "LES HORTENSIAS", "LE VAL", "LES CHARMILLES", "JEAN MOULIN", "PIERRE DE COUBERTIN",
    "LES ALIZES", "L'ESTRAN", "LA ROSERAIE", "LES PINS", "MARIE CURIE", "LE PHARE",
    "LES CAMELIAS", "LA PASSERELLE", "L'ESCALE", "LES LILAS", "VICTOR HUGO", "LE BOCAGE",
]  # fmt: skip
_STREET_TYPES = ["R", "AV", "BD", "CHE", "PL", "RTE", "ALL", "IMP"]
_STREETS = ["DE LA GARE", "DU GENERAL DE GAULLE", "JEAN JAURES", "DES ECOLES", "DE LA MAIRIE",
            "VICTOR HUGO", "DU MOULIN", "PASTEUR", "DES LILAS", "DE LA REPUBLIQUE",
            "DU STADE", "DE PARIS", "DU CHATEAU", "DES PRES"]  # fmt: skip
_OG_FORMS = {
    "60": ["ASSOCIATION {x}", "ASS. {x}", "ADAPEI {d}", "APAJH {d}", "ADMR {x}"],
    "61": ["FONDATION {x}", "ASSOCIATION {x} RUP", "UDAF {d}"],
    "63": ["FONDATION {x}"],
    "17": ["CCAS DE {t}"],
    "21": ["EHPAD PUBLIC DE {t}"],
    "13": ["CENTRE HOSPITALIER DE {t}"],
    "72": ["SARL {x}"],
    "95": ["SAS {x}", "GROUPE {x} SAS"],
    "73": ["SA {x}"],
}
#: Legal status of small / large OG of ESSMS, and of health establishments.
_SMALL_OG_STATUS = [("60", 45), ("61", 5), ("17", 10), ("21", 10), ("13", 5), ("72", 10),
                    ("95", 15)]  # fmt: skip
_LARGE_OG_STATUS = [("60", 45), ("61", 30), ("95", 15), ("63", 10)]
_HEALTH_STATUS = [("95", 40), ("72", 30), ("73", 10), ("61", 10), ("13", 10)]
_PUBLIC_HEALTH = {"355", "101", "106", "292", "223"}
#: Size classes of OG running ESSMS: (probability weight, smallest, largest).
_OG_SIZES = [(55, 1, 1), (15, 2, 2), (12, 3, 5), (10, 6, 14), (6, 15, 40), (1.5, 41, 150)]
#: Share of establishments placed on the commune centroid, and without coordinates.
CENTROID_SHARE = 0.03
NO_COORDINATES_SHARE = 0.003


@dataclass
class Town:
    name: str
    postcode: str
    commune: str
    latitude: float
    longitude: float


@dataclass
class SyntheticEstablishment:
    finess_et: str
    finess_ej: str
    department: str
    category: str
    town: Town
    latitude: float | None
    longitude: float | None
    approximate: bool


@dataclass
class SyntheticOrganisation:
    finess_ej: str
    department: str
    status: str
    name: str
    town: Town


@dataclass
class SyntheticExtract:
    """The files written and what they contain (the truth tests compare the import with)."""

    establishments_path: Path
    ej_path: Path
    extract_date: date
    establishments: list[SyntheticEstablishment] = field(default_factory=list)
    organisations: list[SyntheticOrganisation] = field(default_factory=list)

    def by_department(self) -> Counter[str]:
        return Counter(e.department for e in self.establishments)

    def essms_by_organisation(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for e in self.establishments:
            known = category(e.category)
            if known is not None and known.is_essms:
                counts[e.finess_ej] += 1
        return counts


class _Numbers:
    """Unique FINESS numbers per department prefix (ET and EJ share the space).

    Numbers start with 9 after the prefix (``359000001``, ``970490001``), a range real
    establishments seldom use, so synthetic and real records do not collide in tests.
    """

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def new(self, department: str) -> str:
        prefix = NUMBER_PREFIX.get(department, department)
        width = 9 - len(prefix)
        value = self._next.get(prefix, 9 * 10 ** (width - 1)) + 1
        self._next[prefix] = value
        return prefix + str(value)


def _departments(regions: tuple[str, ...] | None) -> list[Department]:
    if regions is None:
        return list(DEPARTMENTS.values())
    unknown = [code for code in regions if code not in REGIONS]
    if unknown:
        raise ValueError(f"unknown region codes: {unknown}")
    return [dep for dep in DEPARTMENTS.values() if dep.region_code in regions]


def _towns(rng: random.Random, dep: Department, count: int) -> list[Town]:
    """The prefecture and ``count - 1`` invented towns scattered around it, in the box."""
    towns: list[Town] = []
    lat_span = (dep.lat_max - dep.lat_min) * 0.9
    lon_span = (dep.lon_max - dep.lon_min) * 0.9
    lat_low, lon_low = dep.lat_min + lat_span / 18, dep.lon_min + lon_span / 18
    for index in range(count):
        if index == 0:
            name, lat, lon = dep.prefecture.upper(), dep.latitude, dep.longitude
        else:
            name = f"{rng.choice(_TOWN_START)} {rng.choice(_TOWN_ROOT)}{rng.choice(_TOWN_END)}"
            lat = min(max(rng.gauss(dep.latitude, lat_span / 4), lat_low), lat_low + lat_span)
            lon = min(max(rng.gauss(dep.longitude, lon_span / 4), lon_low), lon_low + lon_span)
        towns.append(Town(name, _postcode(dep.code, index), str(index + 1).zfill(3), lat, lon))
    return towns


def _postcode(department: str, index: int) -> str:
    if department in COLLECTIVITY_POSTCODE:
        return COLLECTIVITY_POSTCODE[department]
    if department in ("2A", "2B"):
        return ("20" if department == "2A" else "202") + str(index % 90 + 10).zfill(
            3 if department == "2A" else 2
        )
    if len(department) == 3:
        postcode = department + str(index % 9 * 10).zfill(2)
        # Never a code that FINESS reads as Saint-Barthélemy or Saint-Martin.
        return postcode if postcode not in COLLECTIVITY_POSTCODE.values() else department + "01"
    return department + str(index % 99 * 10).zfill(3)


def _quoted(value: str) -> str:
    """A field as FINESS writes it: quoted, with doubled quotes, only when it has quotes."""
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if '"' in value else value


def _finess_department(department: str) -> str:
    return INSEE_TO_FINESS.get(department, department)


def _department_label(dep: Department) -> str:
    table = str.maketrans("ÉÈÊÔÎÂÛÇ", "EEEOIAUC")
    return dep.name.upper().translate(table).replace("-", " ").replace("'", " ")


def generate(
    out_dir: Path,
    *,
    size: int = 3000,
    seed: int = 0,
    regions: tuple[str, ...] | None = DEMO_REGIONS,
    extract_date: date = date(2026, 11, 2),
    encoding: str = "utf-8",
) -> SyntheticExtract:
    """Write a synthetic cs1100507 extract of about ``size`` establishments and its EJ file.

    ``regions`` limits the departments (``None``: all, national). Deterministic in ``seed``.
    """
    rng = random.Random(seed)
    departments = _departments(regions)
    weights = [DEPARTMENT_WEIGHTS.get(dep.code, 1.0) for dep in departments]
    per_department = Counter(dep.code for dep in rng.choices(departments, weights=weights, k=size))
    codes = list(CATEGORY_WEIGHTS)
    code_weights = list(CATEGORY_WEIGHTS.values())
    numbers = _Numbers()
    stamp = extract_date.strftime("%Y%m%d")
    result = SyntheticExtract(
        establishments_path=out_dir / f"etalab-cs1100507-stock-{stamp}-0400.csv",
        ej_path=out_dir / f"etalab-cs1100501-stock-{stamp}-0400.csv",
        extract_date=extract_date,
    )
    essms_by_region: dict[str, list[SyntheticEstablishment]] = {}
    for dep in departments:
        count = per_department.get(dep.code, 0)
        if not count:
            continue
        towns = _towns(rng, dep, max(3, min(80, count // 12)))
        town_weights = [6.0] + [1.0 / (1 + i / 10) for i in range(len(towns) - 1)]
        for code in rng.choices(codes, weights=code_weights, k=count):
            town = rng.choices(towns, weights=town_weights)[0]
            establishment = SyntheticEstablishment(
                finess_et=numbers.new(dep.code),
                finess_ej="",
                department=dep.code,
                category=code,
                town=town,
                latitude=None,
                longitude=None,
                approximate=False,
            )
            _place(rng, establishment, dep)
            result.establishments.append(establishment)
            known = category(code)
            if known is not None and known.is_essms:
                essms_by_region.setdefault(dep.region_code, []).append(establishment)
            else:
                _own_organisation(rng, numbers, result, establishment, dep)
    for region_establishments in essms_by_region.values():
        _group_into_organisations(rng, numbers, result, region_establishments)
    result.establishments.sort(key=lambda e: e.finess_et)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_establishments(rng, result, encoding)
    _write_organisations(result, encoding)
    return result


def _place(rng: random.Random, establishment: SyntheticEstablishment, dep: Department) -> None:
    draw = rng.random()
    if draw < NO_COORDINATES_SHARE:
        return
    town = establishment.town
    if draw < NO_COORDINATES_SHARE + CENTROID_SHARE:
        establishment.latitude, establishment.longitude = town.latitude, town.longitude
        establishment.approximate = True
        return
    spread = 0.02 if dep.code not in ("75", "92", "93", "94") else 0.01
    establishment.latitude = min(
        max(town.latitude + rng.uniform(-spread, spread), dep.lat_min), dep.lat_max
    )
    establishment.longitude = min(
        max(town.longitude + rng.uniform(-spread, spread), dep.lon_min), dep.lon_max
    )


def _status(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([code for code, _ in table], weights=[w for _, w in table])[0]


def _og_name(rng: random.Random, status: str, dep: Department, town: Town) -> str:
    form = rng.choice(_OG_FORMS.get(status, ["{x}"]))
    return form.format(x=rng.choice(_PATRONS), d=_department_label(dep), t=town.name)[:60]


def _own_organisation(
    rng: random.Random,
    numbers: _Numbers,
    result: SyntheticExtract,
    establishment: SyntheticEstablishment,
    dep: Department,
) -> None:
    status = "13" if establishment.category in _PUBLIC_HEALTH else _status(rng, _HEALTH_STATUS)
    organisation = SyntheticOrganisation(
        finess_ej=numbers.new(dep.code),
        department=dep.code,
        status=status,
        name=_og_name(rng, status, dep, establishment.town),
        town=establishment.town,
    )
    establishment.finess_ej = organisation.finess_ej
    result.organisations.append(organisation)


def _group_into_organisations(
    rng: random.Random,
    numbers: _Numbers,
    result: SyntheticExtract,
    establishments: list[SyntheticEstablishment],
) -> None:
    """Cut a region's ESSMS (department by department) into OG of skewed sizes."""
    rng.shuffle(establishments)
    establishments.sort(key=lambda e: e.department)
    weights = [weight for weight, _, _ in _OG_SIZES]
    position = 0
    while position < len(establishments):
        _, low, high = rng.choices(_OG_SIZES, weights=weights)[0]
        size = rng.randint(low, high)
        members = establishments[position : position + size]
        position += size
        first = members[0]
        dep = DEPARTMENTS[first.department]
        status = _status(rng, _LARGE_OG_STATUS if size >= 15 else _SMALL_OG_STATUS)
        organisation = SyntheticOrganisation(
            finess_ej=numbers.new(dep.code),
            department=dep.code,
            status=status,
            name=_og_name(rng, status, dep, first.town),
            town=first.town,
        )
        result.organisations.append(organisation)
        for member in members:
            member.finess_ej = organisation.finess_ej


def _projected(
    establishments: list[SyntheticEstablishment],
) -> dict[str, tuple[int, float, float]]:
    """Inverse projection, one vectorised call per CRS: {FINESS ET: (EPSG, x, y)}."""
    batches: dict[int, list[SyntheticEstablishment]] = {}
    for e in establishments:
        if e.latitude is not None:
            batches.setdefault(DEPARTMENTS[e.department].epsg, []).append(e)
    result: dict[str, tuple[int, float, float]] = {}
    for epsg, members in batches.items():
        from pyproj import Transformer  # imported here: the command line starts without it

        transformer = Transformer.from_crs(4326, epsg, always_xy=True)
        xs, ys = transformer.transform(
            np.array([e.longitude for e in members]), np.array([e.latitude for e in members])
        )
        for e, x, y in zip(members, np.asarray(xs).tolist(), np.asarray(ys).tolist(), strict=True):
            result[e.finess_et] = (epsg, x, y)
    return result


def _dates(rng: random.Random, extract_date: date) -> tuple[date, date, date]:
    opened = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 65 * 365))
    opened = min(opened, extract_date - timedelta(days=30))
    authorised = opened - timedelta(days=rng.randrange(0, 400))
    updated = max(opened, extract_date - timedelta(days=rng.randrange(1, 8 * 365)))
    return opened, authorised, updated


def _write_establishments(rng: random.Random, result: SyntheticExtract, encoding: str) -> None:
    positions = _projected(result.establishments)
    day = result.extract_date.isoformat()
    siren_of = {o.finess_ej: str(100000000 + int(o.finess_ej[-7:]) * 7 % 899999999)
                for o in result.organisations}  # fmt: skip
    structure: list[str] = [f"finess;etalab;98;{day}"]
    geolocation: list[str] = []
    for e in result.establishments:
        dep = DEPARTMENTS[e.department]
        known = category(e.category)
        label = known.label if known else ""
        prefix = NAME_PREFIX.get(e.category, "ETABLISSEMENT")
        patron = rng.choice(_PATRONS)
        if e.category == "462" and rng.random() < 0.3:
            patron = f'"{patron}"'
        short = f"{prefix} {patron}"[:38]
        long = f"{prefix} {patron} {e.town.name}"[:60]
        opened, authorised, updated = _dates(rng, result.extract_date)
        commune = COLLECTIVITY_COMMUNE.get(e.department, e.town.commune)
        siret = siren_of[e.finess_ej] + str(rng.randrange(10, 99999)).zfill(5)
        fields = [
            "structureet", e.finess_et, e.finess_ej, _quoted(short), _quoted(long), "", "",
            str(rng.randint(1, 180)), rng.choice(_STREET_TYPES), rng.choice(_STREETS), "", "",
            commune, _finess_department(e.department), _department_label(dep),
            f"{e.town.postcode} {e.town.name}", f"0{rng.randint(100000000, 599999999)}", "",
            e.category, label, (known.aggregate_code or "") if known else "",
            (known.aggregate_label or "") if known else "", siret, "", "99", "Indéterminé",
            "", "", opened.isoformat(), authorised.isoformat(), updated.isoformat(), "",
        ]  # fmt: skip
        structure.append(";".join(fields))
        if e.finess_et in positions:
            epsg, x, y = positions[e.finess_et]
            crs = CRS_TEXT[epsg]
            source = (
                f"1,ATLASANTE,.,ADMIN-EXPRESS-2023,{crs}"
                if e.approximate
                else f"1,ATLASANTE,{rng.randint(80, 100)},BAN,{crs}"
            )
            geolocation.append(f"geolocalisation;{e.finess_et};{x:.1f};{y:.1f};{source};{day}")
    text = "\n".join(structure + geolocation) + "\n"
    result.establishments_path.write_text(text, encoding=encoding, errors="replace")


def _write_organisations(result: SyntheticExtract, encoding: str) -> None:
    day = result.extract_date.isoformat()
    lines = [f"finess;etalab;96;{day}"]
    for o in sorted(result.organisations, key=lambda o: o.finess_ej):
        dep = DEPARTMENTS[o.department]
        siren = str(100000000 + int(o.finess_ej[-7:]) * 7 % 899999999)
        fields = [
            "structureej", o.finess_ej, o.name[:38], o.name, "", "1", "R", "DE LA MAIRIE", "",
            "", "", COLLECTIVITY_COMMUNE.get(o.department, o.town.commune),
            f"{o.town.postcode} {o.town.name}", _finess_department(o.department),
            _department_label(dep), "", o.status, "", "", "", siren, "", "2001-01-01", "",
        ]  # fmt: skip
        lines.append(";".join(fields))
    result.ej_path.write_text("\n".join(lines) + "\n", encoding=encoding, errors="replace")
