"""The region tree and its boundaries, cached per process and rebuilt when regions change.

Scans need every region's ancestry and a point-in-region lookup many times a second; regions
change rarely. The cache key is (row count, latest update) read from the database on every use,
so several stateless app servers never serve a stale tree for longer than one request."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Region, RegionKind, distributor_region


@dataclass(frozen=True)
class RegionNode:
    id: int
    code: str
    name: str
    kind: RegionKind
    parent_id: int | None


@dataclass
class RegionTree:
    nodes: dict[int, RegionNode]
    by_code: dict[str, RegionNode]
    _geoms: list[BaseGeometry] = field(default_factory=list)
    _geom_ids: list[int] = field(default_factory=list)
    _index: STRtree | None = None

    def path(self, region_id: int) -> list[RegionNode]:
        """The region and its ancestors, nearest first."""
        out: list[RegionNode] = []
        current: int | None = region_id
        while current is not None and current in self.nodes and len(out) < 64:
            node = self.nodes[current]
            out.append(node)
            current = node.parent_id
        return out

    def subtree(self, region_id: int) -> frozenset[int]:
        """The region and every region nested inside it."""
        children: dict[int | None, list[int]] = {}
        for node in self.nodes.values():
            children.setdefault(node.parent_id, []).append(node.id)
        out, stack = {region_id}, [region_id]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in out:
                    out.add(child)
                    stack.append(child)
        return frozenset(out)

    def path_codes(self, region_id: int) -> tuple[str, ...]:
        return tuple(n.code for n in self.path(region_id))

    def locate(self, lat: float, lon: float) -> RegionNode | None:
        """The deepest region whose boundary holds the point (lon, lat), if any."""
        if self._index is None:
            return None
        point = Point(lon, lat)
        hits = [self._geom_ids[i] for i in self._index.query(point, predicate="intersects")]
        if not hits:
            return None
        return max((self.nodes[h] for h in hits), key=lambda n: len(self.path(n.id)))


_lock = threading.Lock()
_cache: dict[tuple[str, int, datetime | None], RegionTree] = {}


def region_tree(session: Session) -> RegionTree:
    """The current tree, rebuilt only when a region was added or changed."""
    count, latest = session.execute(
        select(func.count(Region.id), func.max(Region.updated_at))
    ).one()
    key = (str(session.get_bind().engine.url), int(count), latest)
    tree = _cache.get(key)
    if tree is not None:
        return tree
    with _lock:
        rows = session.execute(
            select(
                Region.id, Region.code, Region.name, Region.kind, Region.parent_id, Region.boundary
            )
        ).all()
        nodes = {r.id: RegionNode(r.id, r.code, r.name, r.kind, r.parent_id) for r in rows}
        tree = RegionTree(nodes=nodes, by_code={n.code: n for n in nodes.values()})
        for r in rows:
            if r.boundary:
                tree._geoms.append(shape(r.boundary))
                tree._geom_ids.append(r.id)
        if tree._geoms:
            tree._index = STRtree(tree._geoms)
        for stale in [k for k in _cache if k[0] == key[0]]:
            del _cache[stale]
        _cache[key] = tree
        return tree


def territories(
    session: Session, tree: RegionTree, distributor_ids: set[int]
) -> dict[int, frozenset[str]]:
    """The region codes each distributor holds (its territory), in one query."""
    held: dict[int, set[str]] = {did: set() for did in distributor_ids}
    if distributor_ids:
        for did, rid in session.execute(
            select(distributor_region.c.distributor_id, distributor_region.c.region_id).where(
                distributor_region.c.distributor_id.in_(distributor_ids)
            )
        ):
            held[did].add(tree.nodes[rid].code)
    return {did: frozenset(codes) for did, codes in held.items()}
