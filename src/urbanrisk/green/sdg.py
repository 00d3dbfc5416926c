"""SDG indicator 11.7.1 (open public space) and its access component along the street network.

SDG 11.7.1 (custodian UN-Habitat) [P: UN global metadata, ``11-7-1`` STAT_CONC_DEF and
DATA_COMP, as mirrored in ``worldbank/sdg-metadata``]:

- **Indicator**: "Average share of the built-up area of cities that is open space for public
  use for all". Final value (%) = (total surface of open public space + total surface of
  land allocated to streets) / total area of the city × 100. Land allocated to streets may
  be estimated as street length × width. :func:`open_public_space_share`.
- **Access**: "a walking distance of 400 meters – equivalent to 5 minutes' walk"; "a street
  network-based service area is drawn around each public open space"; population with
  access = population inside the merged service areas / total city population × 100.
  :func:`network_access` measures 400 m **along the street network**, not in a straight
  line. The WHO rule of thumb (300 m in a straight line, [U]) is another indicator:
  :func:`urbanrisk.green.green_access`.

How a resident and an open space meet the network is not in the metadata read; urbanrisk
joins each resident to the nearest point of the nearest street (that straight leg counts
in the distance) and enters an open space wherever a street comes within
``entrance_distance_m`` of its edge (a street running inside it enters at once).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString, box
>>> streets = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (500, 0)])], crs=3067)
>>> park = gpd.GeoDataFrame(geometry=[box(-50, -50, 0, 50)], crs=3067)
>>> homes = gpd.GeoDataFrame(geometry=gpd.points_from_xy([300, 450], [10, 0]), crs=3067)
>>> network_access(park, streets, buildings=homes).residents_with_access
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.green._residents import resident_points
from urbanrisk.layers import prepare_vector, require_numeric_column, require_positive

__all__ = [
    "OpenSpaceShare",
    "NetworkAccess",
    "street_graph",
    "network_distance",
    "network_access",
    "open_public_space_share",
]

SDG_11_7_1 = ("Average share of the built-up area of cities that is open space for public "
              "use for all, by sex, age and persons with disabilities")


def street_graph(streets: gpd.GeoDataFrame) -> nx.Graph:
    """Walkable street graph: lines noded where they cross, edges weighted by length (m).

    Every crossing of two lines becomes a junction (``shapely.union_all`` nodes the lines),
    so a bridge over a street is joined to it: give bridges and tunnels as separate layers
    if that matters. Nodes are coordinate tuples; each edge keeps its ``geometry`` and
    ``length_m``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> cross = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (10, 0)]),
    ...                                    LineString([(5, -5), (5, 5)])], crs=3067)
    >>> g = street_graph(cross)
    >>> g.number_of_nodes(), g.number_of_edges()
    (5, 4)
    """
    st = prepare_vector(streets, name="streets", geom_types=("LineString", "MultiLineString"))
    noded = shapely.get_parts(shapely.union_all(st.geometry.values))
    g = nx.Graph()
    for line in noded:
        if line.geom_type != "LineString" or line.length <= 0:
            continue
        xy = shapely.get_coordinates(line)
        u, v = tuple(np.round(xy[0], 6)), tuple(np.round(xy[-1], 6))
        if u == v:
            continue
        length = float(line.length)
        if g.has_edge(u, v) and g.edges[u, v]["length_m"] <= length:
            continue
        g.add_edge(u, v, length_m=length, geometry=line)
    g.graph["crs"] = st.crs
    return g


def _edges(g: nx.Graph) -> tuple[list, np.ndarray]:
    keys = list(g.edges)
    geoms = np.array([g.edges[k]["geometry"] for k in keys], dtype=object)
    return keys, geoms


def network_distance(
    g: nx.Graph,
    sites: gpd.GeoDataFrame,
    points: np.ndarray,
    *,
    entrance_distance_m: float = 20.0,
) -> np.ndarray:
    """Distance (m) from each point to the nearest site, walking along the street graph.

    Sites are entered wherever a street comes within ``entrance_distance_m`` of them, at
    the point of that street nearest to the site; a multi-source Dijkstra (networkx) runs
    from all entrances at once. A point walks straight to the nearest point of its nearest
    street, then along the streets. Points no street reaches are ``inf``.

    Parameters
    ----------
    g : networkx.Graph
        From :func:`street_graph`.
    sites : geopandas.GeoDataFrame
        Open spaces (polygons), in the graph's CRS.
    points : numpy.ndarray of shapely Points
        Residents, in the graph's CRS.
    entrance_distance_m : float, default 20
        How close a street must come to a site to enter it.

    Returns
    -------
    numpy.ndarray
        Network distance per point.
    """
    ent = require_positive(entrance_distance_m, name="entrance_distance_m", allow_zero=True)
    keys, geoms = _edges(g)
    out = np.full(len(points), np.inf)
    if not keys or len(points) == 0:
        return out
    tree = shapely.STRtree(geoms)
    site_geoms = np.asarray(sites.geometry.values)
    si, ei = tree.query(site_geoms, predicate="dwithin", distance=ent)
    src = "__sites__"
    h = g.copy()
    h.add_node(src)
    # offsets of entrances along each edge (from its first node), for same-edge walks
    entrances: dict[int, list[float]] = {}
    for s, e in zip(si, ei, strict=True):
        line = geoms[e]
        near = shapely.shortest_line(line, site_geoms[s])
        at = float(line.project(shapely.get_point(near, 0)))
        entrances.setdefault(int(e), []).append(at)
        u, v = keys[e]
        first = tuple(np.round(shapely.get_coordinates(line)[0], 6))
        du, dv = (at, line.length - at) if first == u else (line.length - at, at)
        for node, d in ((u, du), (v, dv)):
            if not h.has_edge(src, node) or h.edges[src, node]["length_m"] > d:
                h.add_edge(src, node, length_m=d)
    if not entrances:
        return out
    dist = nx.single_source_dijkstra_path_length(h, src, weight="length_m")
    nearest = tree.nearest(points)
    for k, (p, e) in enumerate(zip(points, nearest, strict=True)):
        line = geoms[e]
        u, v = keys[e]
        s = float(line.project(p))
        leg = float(shapely.distance(p, line))
        first = tuple(np.round(shapely.get_coordinates(line)[0], 6))
        su, sv = (s, line.length - s) if first == u else (line.length - s, s)
        best = min(dist.get(u, np.inf) + su, dist.get(v, np.inf) + sv)
        for at in entrances.get(int(e), []):
            best = min(best, abs(at - s))
        out[k] = leg + best
    return out


@dataclass(frozen=True)
class NetworkAccess:
    """Residents within a walking distance of open space along the streets (SDG 11.7.1).

    Attributes
    ----------
    share : float
        ``residents_with_access / residents`` in [0, 1] (NaN without residents).
    residents, residents_with_access : float
        Residents counted and those within ``walk_distance_m``.
    walk_distance_m, entrance_distance_m : float
        The rule used.
    distance_m : numpy.ndarray
        Network distance of every resident point (m; ``inf`` where no street leads).
    """

    share: float
    residents: float
    residents_with_access: float
    walk_distance_m: float
    entrance_distance_m: float
    distance_m: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Return the summary as one row."""
        return pd.DataFrame([{
            "share": self.share, "residents": self.residents,
            "residents_with_access": self.residents_with_access,
            "walk_distance_m": self.walk_distance_m,
            "entrance_distance_m": self.entrance_distance_m,
        }])


def network_access(
    open_space: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    *,
    population: xr.DataArray | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    weight_column: str | None = None,
    walk_distance_m: float = 400.0,
    entrance_distance_m: float = 20.0,
) -> NetworkAccess:
    """Share of residents within ``walk_distance_m`` of open space along the street network.

    The access part of SDG 11.7.1: 400 m walking distance along the streets
    (:func:`network_distance`). Residents are population-grid cell centres or buildings
    (as :func:`urbanrisk.green.green_access`).

    Parameters
    ----------
    open_space : geopandas.GeoDataFrame
        Open public spaces (polygons).
    streets : geopandas.GeoDataFrame
        Walkable street centrelines; reprojected to ``open_space``'s CRS.
    population, buildings, weight_column
        Residents, as in :func:`urbanrisk.green.green_access` (give one).
    walk_distance_m : float, default 400
        SDG 11.7.1: 400 m.
    entrance_distance_m : float, default 20
        See :func:`network_distance`.

    Returns
    -------
    NetworkAccess

    Examples
    --------
    A straight street from a park; homes 300 m and 450 m along it:

    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> s = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (500, 0)])], crs=3067)
    >>> p = gpd.GeoDataFrame(geometry=[box(-50, -50, 0, 50)], crs=3067)
    >>> h = gpd.GeoDataFrame(geometry=gpd.points_from_xy([300, 450], [0, 0]), crs=3067)
    >>> network_access(p, s, buildings=h).distance_m.tolist()
    [300.0, 450.0]
    """
    walk = require_positive(walk_distance_m, name="walk_distance_m")
    ops = prepare_vector(open_space, name="open_space",
                         geom_types=("Polygon", "MultiPolygon"))
    st = prepare_vector(streets, name="streets", like=ops, like_name="open_space",
                        geom_types=("LineString", "MultiLineString"), overlap=False)
    pts, weight = resident_points(st, population=population, buildings=buildings,
                                  weight_column=weight_column, target_name="streets",
                                  reach_m=walk)
    g = street_graph(st)
    d = network_distance(g, ops, pts, entrance_distance_m=entrance_distance_m)
    ok = d <= walk
    total, good = float(weight.sum()), float(weight[ok].sum())
    return NetworkAccess(good / total if total > 0 else np.nan, total, good, walk,
                         float(entrance_distance_m), d)


@dataclass(frozen=True)
class OpenSpaceShare:
    """Share of the city that is open public space and streets (SDG 11.7.1).

    Attributes
    ----------
    open_space_m2, street_m2, city_m2 : float
        Open public space (dissolved, inside the city), land allocated to streets (length
        inside the city × width) and the city (built-up) area.
    open_space_percent : float
        100 × open space / city.
    percent : float
        The indicator: 100 × (open space + streets) / city.
    street_width : str
        How the street land was measured.
    """

    open_space_m2: float
    street_m2: float
    city_m2: float
    open_space_percent: float
    percent: float
    street_width: str

    def to_frame(self) -> pd.DataFrame:
        """Return the summary as one row."""
        return pd.DataFrame([self.__dict__])


def open_public_space_share(
    open_space: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    city: gpd.GeoDataFrame,
    *,
    street_width_m: float | None = None,
    width_column: str | None = None,
) -> OpenSpaceShare:
    """SDG 11.7.1: (open public space + land allocated to streets) / city area × 100.

    The metadata's street-length × width estimate of street land is used: each street's
    length inside the city × its width (``width_column``, or ``street_width_m`` for all).
    Open spaces are clipped to the city and dissolved (overlaps count once); the formula
    adds the two surfaces as the metadata does, so a street through a park counts in both.

    Parameters
    ----------
    open_space : geopandas.GeoDataFrame
        Open public spaces (polygons): parks, squares... (fee-charging areas excluded by
        the definition: filter them first).
    streets : geopandas.GeoDataFrame
        Street centrelines (streets, pavements, cycle paths; not railways or parking).
    city : geopandas.GeoDataFrame
        The city (built-up area per the Degree of Urbanisation in the metadata).
    street_width_m : float, optional
        One width for every street (m).
    width_column : str, optional
        Numeric column of street widths (m), NaN refused. Give this or ``street_width_m``.

    Examples
    --------
    A 100 × 100 m city, a 20 × 50 m park and a 100 m street 10 m wide:
    (1000 + 1000) / 10000 = 20 %.

    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> c = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=3067)
    >>> p = gpd.GeoDataFrame(geometry=[box(0, 0, 20, 50)], crs=3067)
    >>> s = gpd.GeoDataFrame(geometry=[LineString([(0, 80), (150, 80)])], crs=3067)
    >>> r = open_public_space_share(p, s, c, street_width_m=10)
    >>> r.open_space_percent, r.percent
    (10.0, 20.0)
    """
    if (street_width_m is None) == (width_column is None):
        raise InputValueError("Give exactly one of street_width_m= or width_column=.")
    city = prepare_vector(city, name="city")
    ops = prepare_vector(open_space, name="open_space", like=city, like_name="city")
    st = prepare_vector(streets, name="streets", like=city, like_name="city",
                        geom_types=("LineString", "MultiLineString"))
    boundary = shapely.union_all(city.geometry.values)
    area = boundary.area
    if area <= 0:
        raise InputValueError("The city boundary has zero area.")
    ops_area = shapely.intersection(shapely.union_all(ops.geometry.values), boundary).area
    inside = shapely.length(shapely.intersection(st.geometry.values, boundary))
    if width_column is not None:
        width = require_numeric_column(st, width_column, name="streets", allow_nan=False,
                                       low=0.0)
        how = f"length × column {width_column!r}"
    else:
        width = np.full(len(st), require_positive(street_width_m, name="street_width_m"))
        how = f"length × {float(street_width_m):g} m"
    street = float((inside * width).sum())
    return OpenSpaceShare(float(ops_area), street, float(area), 100.0 * ops_area / area,
                          100.0 * (ops_area + street) / area, how)
