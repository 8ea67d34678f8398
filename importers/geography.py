"""French departments and regions: codes, names, prefecture positions, rough boxes.

Public facts written from general knowledge (INSEE codes of 2016 regions; prefecture
positions and department extents rounded to about a hundredth of a degree). The boxes are
*rough*: they enclose the department's land (islands included) and a little of its
neighbours, which is what the import sanity checks, the tests ("every geolocated
establishment falls inside its department") and the demo generator need. They are not
borders.

FINESS writes overseas departments with its own codes (``9A`` … ``9J``);
``insee_department`` translates them. The territory of an establishment is decided by one
rule for every importer, ``territory``: its INSEE commune code first (``department_of_commune``),
then its postcode, then the FINESS ``departement`` field. ``9A`` covers Guadeloupe and,
historically, Saint-Barthélemy and Saint-Martin (see ``COMMUNE_TERRITORIES``).

Which territories have the programme's reduced grappe minimum is not decided here: it is
the scale file's list (``overseas_corsica_departments`` in
``matchmaker/funding/scales.toml``, the app's ``REDUCED_MINIMUM_DEPARTMENTS`` setting).

Saint-Pierre-et-Miquelon (975) and Wallis-et-Futuna (986) belong to none of the 18
regions: their region code is their own code. Saint-Barthélemy and Saint-Martin are
attached to region 01 (the ARS of Guadeloupe covers them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """A region (or an overseas collectivity outside the 18 regions)."""

    code: str
    name: str


@dataclass(frozen=True)
class Department:
    """A department (INSEE code) with its prefecture and rough bounding box (WGS84)."""

    code: str
    name: str
    region_code: str
    prefecture: str
    latitude: float
    longitude: float
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    #: The projected CRS FINESS uses for the department (Lambert-93 or a local UTM).
    epsg: int
    overseas: bool = False

    @property
    def region(self) -> Region:
        return REGIONS[self.region_code]

    @property
    def corsica(self) -> bool:
        return self.code in ("2A", "2B")

    def contains(self, latitude: float, longitude: float, margin: float = 0.05) -> bool:
        """True when (latitude, longitude) lies in the rough box, widened by ``margin``°."""
        return (
            self.lat_min - margin <= latitude <= self.lat_max + margin
            and self.lon_min - margin <= longitude <= self.lon_max + margin
        )


REGIONS: dict[str, Region] = {
    region.code: region
    for region in (
        Region("01", "Guadeloupe"),
        Region("02", "Martinique"),
        Region("03", "Guyane"),
        Region("04", "La Réunion"),
        Region("06", "Mayotte"),
        Region("11", "Île-de-France"),
        Region("24", "Centre-Val de Loire"),
        Region("27", "Bourgogne-Franche-Comté"),
        Region("28", "Normandie"),
        Region("32", "Hauts-de-France"),
        Region("44", "Grand Est"),
        Region("52", "Pays de la Loire"),
        Region("53", "Bretagne"),
        Region("75", "Nouvelle-Aquitaine"),
        Region("76", "Occitanie"),
        Region("84", "Auvergne-Rhône-Alpes"),
        Region("93", "Provence-Alpes-Côte d'Azur"),
        Region("94", "Corse"),
        # Collectivities outside the 18 regions (no ARS region of their own in FINESS).
        Region("975", "Saint-Pierre-et-Miquelon"),
        Region("986", "Wallis-et-Futuna"),
    )
}

#: The 18 regions of the programme (13 mainland including Corsica, 5 overseas).
PROGRAMME_REGIONS: tuple[str, ...] = tuple(code for code in REGIONS if len(code) == 2)

LAMBERT_93 = 2154

# code, name, region, prefecture, prefecture lat, lon, lat_min, lat_max, lon_min, lon_max
_MAINLAND: tuple[tuple[str, str, str, str, float, float, float, float, float, float], ...] = (
    ("01", "Ain", "84", "Bourg-en-Bresse", 46.205, 5.226, 45.61, 46.52, 4.72, 6.17),
    ("02", "Aisne", "32", "Laon", 49.564, 3.620, 48.83, 50.07, 2.95, 4.26),
    ("03", "Allier", "84", "Moulins", 46.566, 3.333, 45.93, 46.81, 2.27, 4.01),
    (
        "04",
        "Alpes-de-Haute-Provence",
        "93",
        "Digne-les-Bains",
        44.092,
        6.236,
        43.66,
        44.66,
        5.49,
        6.97,
    ),
    ("05", "Hautes-Alpes", "93", "Gap", 44.559, 6.079, 44.18, 45.13, 5.41, 7.08),
    ("06", "Alpes-Maritimes", "93", "Nice", 43.703, 7.266, 43.47, 44.37, 6.63, 7.72),
    ("07", "Ardèche", "84", "Privas", 44.735, 4.599, 44.26, 45.37, 3.86, 4.89),
    ("08", "Ardennes", "44", "Charleville-Mézières", 49.773, 4.721, 49.22, 50.17, 4.02, 5.40),
    ("09", "Ariège", "76", "Foix", 42.965, 1.607, 42.57, 43.32, 0.82, 2.18),
    ("10", "Aube", "44", "Troyes", 48.297, 4.074, 47.92, 48.72, 3.38, 4.87),
    ("11", "Aude", "76", "Carcassonne", 43.213, 2.350, 42.64, 43.46, 1.68, 3.25),
    ("12", "Aveyron", "76", "Rodez", 44.350, 2.575, 43.69, 44.94, 1.84, 3.46),
    ("13", "Bouches-du-Rhône", "93", "Marseille", 43.296, 5.370, 43.15, 43.93, 4.23, 5.82),
    ("14", "Calvados", "28", "Caen", 49.183, -0.370, 48.75, 49.43, -1.16, 0.45),
    ("15", "Cantal", "84", "Aurillac", 44.927, 2.440, 44.61, 45.49, 2.06, 3.37),
    ("16", "Charente", "75", "Angoulême", 45.650, 0.156, 45.19, 46.14, -0.47, 0.95),
    ("17", "Charente-Maritime", "75", "La Rochelle", 46.160, -1.151, 45.08, 46.37, -1.57, 0.01),
    ("18", "Cher", "24", "Bourges", 47.081, 2.399, 46.42, 47.63, 1.77, 3.08),
    ("19", "Corrèze", "75", "Tulle", 45.267, 1.771, 44.92, 45.77, 1.22, 2.53),
    ("2A", "Corse-du-Sud", "94", "Ajaccio", 41.919, 8.738, 41.33, 42.38, 8.53, 9.41),
    ("2B", "Haute-Corse", "94", "Bastia", 42.697, 9.450, 41.83, 43.03, 8.53, 9.57),
    ("21", "Côte-d'Or", "27", "Dijon", 47.322, 5.041, 46.90, 48.03, 4.06, 5.52),
    ("22", "Côtes-d'Armor", "53", "Saint-Brieuc", 48.514, -2.765, 48.03, 48.90, -3.67, -1.90),
    ("23", "Creuse", "75", "Guéret", 46.171, 1.871, 45.66, 46.46, 1.37, 2.61),
    ("24", "Dordogne", "75", "Périgueux", 45.184, 0.721, 44.57, 45.72, -0.05, 1.45),
    ("25", "Doubs", "27", "Besançon", 47.238, 6.024, 46.55, 47.59, 5.69, 7.07),
    ("26", "Drôme", "84", "Valence", 44.933, 4.892, 44.11, 45.35, 4.64, 5.83),
    ("27", "Eure", "28", "Évreux", 49.027, 1.151, 48.66, 49.49, 0.29, 1.81),
    ("28", "Eure-et-Loir", "24", "Chartres", 48.446, 1.489, 47.95, 48.95, 0.75, 1.99),
    ("29", "Finistère", "53", "Quimper", 47.996, -4.102, 47.70, 48.76, -5.15, -3.38),
    ("30", "Gard", "76", "Nîmes", 43.837, 4.360, 43.45, 44.46, 3.26, 4.85),
    ("31", "Haute-Garonne", "76", "Toulouse", 43.605, 1.444, 42.68, 43.93, 0.44, 2.05),
    ("32", "Gers", "76", "Auch", 43.646, 0.586, 43.31, 44.08, -0.29, 1.21),
    ("33", "Gironde", "75", "Bordeaux", 44.838, -0.579, 44.19, 45.58, -1.27, 0.32),
    ("34", "Hérault", "76", "Montpellier", 43.611, 3.877, 43.21, 43.97, 2.53, 4.20),
    ("35", "Ille-et-Vilaine", "53", "Rennes", 48.117, -1.678, 47.63, 48.71, -2.29, -1.01),
    ("36", "Indre", "24", "Châteauroux", 46.810, 1.691, 46.35, 47.28, 0.87, 2.21),
    ("37", "Indre-et-Loire", "24", "Tours", 47.394, 0.685, 46.74, 47.71, 0.05, 1.37),
    ("38", "Isère", "84", "Grenoble", 45.188, 5.724, 44.69, 45.89, 4.74, 6.36),
    ("39", "Jura", "27", "Lons-le-Saunier", 46.675, 5.555, 46.26, 47.31, 5.25, 6.21),
    ("40", "Landes", "75", "Mont-de-Marsan", 43.890, -0.500, 43.49, 44.53, -1.53, 0.14),
    ("41", "Loir-et-Cher", "24", "Blois", 47.586, 1.335, 47.19, 48.13, 0.58, 2.25),
    ("42", "Loire", "84", "Saint-Étienne", 45.440, 4.387, 45.23, 46.28, 3.69, 4.76),
    ("43", "Haute-Loire", "84", "Le Puy-en-Velay", 45.043, 3.885, 44.74, 45.43, 3.08, 4.49),
    ("44", "Loire-Atlantique", "52", "Nantes", 47.218, -1.554, 46.86, 47.84, -2.56, -0.92),
    ("45", "Loiret", "24", "Orléans", 47.903, 1.909, 47.48, 48.35, 1.51, 3.13),
    ("46", "Lot", "76", "Cahors", 44.447, 1.441, 44.20, 45.05, 0.98, 2.21),
    ("47", "Lot-et-Garonne", "75", "Agen", 44.203, 0.616, 43.97, 44.77, -0.15, 1.08),
    ("48", "Lozère", "76", "Mende", 44.518, 3.500, 44.11, 44.98, 2.98, 4.00),
    ("49", "Maine-et-Loire", "52", "Angers", 47.474, -0.552, 46.97, 47.81, -1.36, 0.24),
    ("50", "Manche", "28", "Saint-Lô", 49.116, -1.091, 48.45, 49.73, -1.95, -0.73),
    ("51", "Marne", "44", "Châlons-en-Champagne", 48.957, 4.363, 48.51, 49.41, 3.39, 5.04),
    ("52", "Haute-Marne", "44", "Chaumont", 48.111, 5.139, 47.57, 48.69, 4.63, 5.90),
    ("53", "Mayenne", "52", "Laval", 48.073, -0.770, 47.73, 48.57, -1.24, -0.05),
    ("54", "Meurthe-et-Moselle", "44", "Nancy", 48.692, 6.184, 48.35, 49.57, 5.43, 7.13),
    ("55", "Meuse", "44", "Bar-le-Duc", 48.773, 5.160, 48.41, 49.62, 4.89, 5.85),
    ("56", "Morbihan", "53", "Vannes", 47.658, -2.760, 47.28, 48.21, -3.73, -2.03),
    ("57", "Moselle", "44", "Metz", 49.120, 6.176, 48.52, 49.52, 5.89, 7.64),
    ("58", "Nièvre", "27", "Nevers", 46.990, 3.159, 46.65, 47.59, 2.84, 4.24),
    ("59", "Nord", "32", "Lille", 50.629, 3.057, 49.97, 51.09, 2.07, 4.24),
    ("60", "Oise", "32", "Beauvais", 49.430, 2.081, 49.06, 49.76, 1.69, 3.17),
    ("61", "Orne", "28", "Alençon", 48.432, 0.091, 48.18, 48.97, -0.86, 0.98),
    ("62", "Pas-de-Calais", "32", "Arras", 50.291, 2.777, 50.02, 51.01, 1.55, 3.19),
    ("63", "Puy-de-Dôme", "84", "Clermont-Ferrand", 45.778, 3.087, 45.29, 46.26, 2.39, 3.99),
    ("64", "Pyrénées-Atlantiques", "75", "Pau", 43.295, -0.370, 42.78, 43.60, -1.79, 0.03),
    ("65", "Hautes-Pyrénées", "76", "Tarbes", 43.233, 0.078, 42.67, 43.61, -0.33, 0.65),
    ("66", "Pyrénées-Orientales", "76", "Perpignan", 42.699, 2.895, 42.33, 42.92, 1.72, 3.18),
    ("67", "Bas-Rhin", "44", "Strasbourg", 48.573, 7.752, 48.12, 49.08, 6.94, 8.24),
    ("68", "Haut-Rhin", "44", "Colmar", 48.079, 7.358, 47.42, 48.31, 6.84, 7.63),
    ("69", "Rhône", "84", "Lyon", 45.764, 4.836, 45.45, 46.31, 4.24, 5.17),
    ("70", "Haute-Saône", "27", "Vesoul", 47.622, 6.156, 47.25, 48.03, 5.37, 6.83),
    ("71", "Saône-et-Loire", "27", "Mâcon", 46.307, 4.828, 46.15, 47.16, 3.62, 5.47),
    ("72", "Sarthe", "52", "Le Mans", 48.006, 0.199, 47.56, 48.49, -0.45, 0.92),
    ("73", "Savoie", "84", "Chambéry", 45.564, 5.918, 45.05, 45.94, 5.62, 7.19),
    ("74", "Haute-Savoie", "84", "Annecy", 45.900, 6.129, 45.68, 46.41, 5.80, 7.05),
    ("75", "Paris", "11", "Paris", 48.857, 2.352, 48.81, 48.91, 2.22, 2.47),
    ("76", "Seine-Maritime", "28", "Rouen", 49.443, 1.100, 49.25, 50.08, 0.06, 1.80),
    ("77", "Seine-et-Marne", "11", "Melun", 48.540, 2.660, 48.12, 49.12, 2.39, 3.56),
    ("78", "Yvelines", "11", "Versailles", 48.804, 2.130, 48.43, 49.09, 1.44, 2.23),
    ("79", "Deux-Sèvres", "75", "Niort", 46.324, -0.464, 45.96, 47.11, -0.90, 0.22),
    ("80", "Somme", "32", "Amiens", 49.894, 2.296, 49.57, 50.37, 1.37, 3.21),
    ("81", "Tarn", "76", "Albi", 43.929, 2.148, 43.38, 44.21, 1.53, 2.94),
    ("82", "Tarn-et-Garonne", "76", "Montauban", 44.018, 1.355, 43.77, 44.40, 0.73, 1.99),
    ("83", "Var", "93", "Toulon", 43.125, 5.931, 42.98, 43.81, 5.65, 6.94),
    ("84", "Vaucluse", "93", "Avignon", 43.949, 4.806, 43.65, 44.44, 4.64, 5.76),
    ("85", "Vendée", "52", "La Roche-sur-Yon", 46.670, -1.426, 46.26, 47.09, -2.40, -0.53),
    ("86", "Vienne", "75", "Poitiers", 46.580, 0.340, 46.04, 47.18, -0.11, 1.22),
    ("87", "Haute-Vienne", "75", "Limoges", 45.834, 1.261, 45.43, 46.41, 0.63, 1.91),
    ("88", "Vosges", "44", "Épinal", 48.173, 6.450, 47.81, 48.52, 5.39, 7.20),
    ("89", "Yonne", "27", "Auxerre", 47.798, 3.567, 47.31, 48.40, 2.84, 4.34),
    ("90", "Territoire de Belfort", "27", "Belfort", 47.640, 6.863, 47.43, 47.83, 6.76, 7.15),
    ("91", "Essonne", "11", "Évry-Courcouronnes", 48.629, 2.441, 48.28, 48.78, 1.91, 2.59),
    ("92", "Hauts-de-Seine", "11", "Nanterre", 48.892, 2.207, 48.72, 48.96, 2.14, 2.34),
    ("93", "Seine-Saint-Denis", "11", "Bobigny", 48.908, 2.440, 48.80, 49.02, 2.28, 2.61),
    ("94", "Val-de-Marne", "11", "Créteil", 48.790, 2.455, 48.68, 48.87, 2.30, 2.62),
    ("95", "Val-d'Oise", "11", "Cergy", 49.036, 2.076, 48.90, 49.25, 1.60, 2.60),
)

# Overseas: the same columns plus the EPSG code of the local projection used by FINESS.
_OVERSEAS: tuple[tuple[str, str, str, str, float, float, float, float, float, float, int], ...] = (
    ("971", "Guadeloupe", "01", "Basse-Terre", 15.998, -61.726, 15.83, 16.52, -61.81, -61.00, 5490),
    (
        "972",
        "Martinique",
        "02",
        "Fort-de-France",
        14.602,
        -61.073,
        14.38,
        14.89,
        -61.24,
        -60.80,
        5490,
    ),
    ("973", "Guyane", "03", "Cayenne", 4.937, -52.326, 2.11, 5.78, -54.61, -51.61, 2972),
    ("974", "La Réunion", "04", "Saint-Denis", -20.882, 55.451, -21.40, -20.87, 55.21, 55.84, 2975),
    (
        "975",
        "Saint-Pierre-et-Miquelon",
        "975",
        "Saint-Pierre",
        46.780,
        -56.177,
        46.74,
        47.15,
        -56.42,
        -56.10,
        32621,
    ),
    ("976", "Mayotte", "06", "Mamoudzou", -12.780, 45.228, -13.02, -12.63, 44.98, 45.31, 4471),
    (
        "977",
        "Saint-Barthélemy",
        "01",
        "Gustavia",
        17.896,
        -62.849,
        17.86,
        17.98,
        -62.96,
        -62.78,
        5490,
    ),
    ("978", "Saint-Martin", "01", "Marigot", 18.067, -63.085, 18.04, 18.13, -63.16, -62.97, 5490),
    (
        "986",
        "Wallis-et-Futuna",
        "986",
        "Mata-Utu",
        -13.282,
        -176.174,
        -14.40,
        -13.18,
        -178.20,
        -176.11,
        32701,
    ),
)

DEPARTMENTS: dict[str, Department] = {
    **{row[0]: Department(*row, epsg=LAMBERT_93) for row in _MAINLAND},
    **{row[0]: Department(*row[:10], epsg=row[10], overseas=True) for row in _OVERSEAS},
}

#: FINESS's own overseas department codes (field ``departement``) → INSEE code.
FINESS_OVERSEAS: dict[str, str] = {
    "9A": "971",
    "9B": "972",
    "9C": "973",
    "9D": "974",
    "9E": "975",
    "9F": "976",
    "9J": "986",
}
INSEE_TO_FINESS: dict[str, str] = {insee: finess for finess, insee in FINESS_OVERSEAS.items()}
INSEE_TO_FINESS.update({"977": "9A", "978": "9A"})

#: Saint-Barthélemy and Saint-Martin, decided once (issue 12). They are their own
#: territories, 977 and 978: the INSEE codes of the two overseas collectivities since they
#: left Guadeloupe in 2007, with their own outlines, 200 km north of Guadeloupe. FINESS
#: still files them under Guadeloupe with their pre-2007 commune codes, in both formats
#: (legacy CSV: ``departement`` 9A and ``commune`` 123/127; FINESS+ JSON: ``cogCommune``
#: 97123/97127): those commune codes decide, so both formats give the same territory. They
#: stay in region 01 (the ARS of Guadeloupe covers them), and the scale file lists them
#: with the reduced minimum like every overseas territory.
COMMUNE_TERRITORIES: dict[str, str] = {"97123": "977", "97127": "978"}
#: The same two territories by postcode, for a record without a commune code.
POSTCODE_TERRITORIES: dict[str, str] = {"97133": "977", "97150": "978"}


class UnknownDepartment(ValueError):
    """A department code that is neither INSEE nor FINESS."""


def insee_department(code: str) -> str:
    """The INSEE department of a FINESS ``departement`` field (``9A`` → ``971``…).

    ``1`` (a copy re-saved in a spreadsheet) is read as ``01``. Raises
    ``UnknownDepartment`` for anything else. The territory of an establishment is
    ``territory`` (its commune code first), not this field alone.
    """
    code = code.strip().upper()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    insee = FINESS_OVERSEAS.get(code, code)
    if insee not in DEPARTMENTS:
        raise UnknownDepartment(code)
    return insee


def department_of_commune(commune_code: str) -> str | None:
    """The territory of an INSEE commune code (``01053`` → ``01``, ``97411`` → ``974``,
    ``97127`` → ``978``, see ``COMMUNE_TERRITORIES``); None when it is not one."""
    code = commune_code.strip().upper()
    if len(code) != 5:
        return None
    if code in COMMUNE_TERRITORIES:
        return COMMUNE_TERRITORIES[code]
    department = code[:3] if code[:2] in ("97", "98") else code[:2]
    return department if department in DEPARTMENTS else None


def department_of_postcode(postcode: str) -> str | None:
    """The territory of a French postcode (``35000`` → ``35``, ``20000`` → ``2A``,
    ``97150`` → ``978``); None when it is not one."""
    code = postcode.strip()
    if len(code) != 5 or not code.isdigit():
        return None
    if code in POSTCODE_TERRITORIES:
        return POSTCODE_TERRITORIES[code]
    if code.startswith(("97", "98")):
        return code[:3] if code[:3] in DEPARTMENTS else None
    if code.startswith("20"):
        return "2A" if code < "20200" else "2B"
    return code[:2] if code[:2] in DEPARTMENTS else None


def territory(
    commune_code: str | None, postcode: str | None = None, finess_department: str | None = None
) -> str:
    """The one rule for the territory (INSEE department) of an establishment, the same in
    every importer: its commune code, else its postcode, else the FINESS ``departement``
    field. Raises ``UnknownDepartment`` when none of them is known."""
    found = (department_of_commune(commune_code) if commune_code else None) or (
        department_of_postcode(postcode) if postcode else None
    )
    if found:
        return found
    return insee_department(finess_department or "")


def region_of(department: str) -> str:
    """The region code of an INSEE department code."""
    return DEPARTMENTS[department].region_code


def departments_of_region(region: str) -> list[str]:
    """Department codes of a region, in code order."""
    return [code for code, dep in DEPARTMENTS.items() if dep.region_code == region]


def reduced_minimum_applies(department: str, departments: Iterable[str]) -> bool:
    """True when the reduced grappe minimum applies to ``department`` (INSEE or FINESS code).

    ``departments`` is the scale file's list (the app's ``REDUCED_MINIMUM_DEPARTMENTS``).
    """
    code = department.strip().upper()
    code = FINESS_OVERSEAS.get(code, code)
    return code in set(departments)
