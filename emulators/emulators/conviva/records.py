"""Full session records in the documented nested shape, derived from a session's skeleton."""

from __future__ import annotations

import random
from typing import Any

from emulators import datagen
from emulators.conviva.traffic import Skeleton

ASSETS = (
    "Detective Memoirs: S1, E1",
    "Detective Memoirs: S1, E2",
    "Ocean Frontiers",
    "Evening News Live",
    "Cup Final: Highlights",
    "Kitchen Heroes: S3, E7",
    "Mountain Rescue",
)
CHANNELS = ("The Premium Channel", "News 24", "Sports One", "Kids Zone")
CATEGORIES = ("VoD", "Live")
DEVICES = (
    # (device_name, os, os_family, browser, hardware type, manufacturer, model, player)
    (
        "Apple iPhone",
        "iOS",
        "iOS",
        "Native App",
        "Mobile Phone",
        "Apple",
        "iPhone 14",
        "iOS AVPlayer",
    ),
    ("Apple iPad", "iOS", "iOS", "Native App", "Tablet", "Apple", "iPad Air", "iOS AVPlayer"),
    (
        "Android Phone",
        "Android",
        "Android",
        "Native App",
        "Mobile Phone",
        "Samsung",
        "Galaxy S23",
        "ExoPlayer",
    ),
    ("Roku", "Roku", "Roku", "Native App", "Set-top Box", "Roku", "Roku Ultra", "Roku Player"),
    ("PC", "Windows", "Windows", "Chrome", "Desktop", "Unknown", "Unknown", "Shaka Player"),
    ("Mac", "Macintosh", "Macintosh", "Safari", "Desktop", "Apple", "MacBook", "Shaka Player"),
    ("Smart TV", "Tizen", "Tizen", "Native App", "Smart TV", "Samsung", "QN90B", "Tizen AVPlay"),
)
CITIES = (
    # (city, state, state code, country, country code, continent, postal, dma)
    (
        "Chicago, Illinois, United States",
        "Illinois, United States",
        "IL",
        "United States",
        "US",
        "North America",
        "60609",
        "Chicago",
    ),
    (
        "Los Angeles, California, United States",
        "California, United States",
        "CA",
        "United States",
        "US",
        "North America",
        "90012",
        "Los Angeles",
    ),
    (
        "New York, New York, United States",
        "New York, United States",
        "NY",
        "United States",
        "US",
        "North America",
        "10001",
        "New York",
    ),
    (
        "London, England, United Kingdom",
        "England, United Kingdom",
        "ENG",
        "United Kingdom",
        "GB",
        "Europe",
        "EC1A",
        "",
    ),
    ("Berlin, Berlin, Germany", "Berlin, Germany", "BE", "Germany", "DE", "Europe", "10115", ""),
    (
        "Sao Paulo, Sao Paulo, Brazil",
        "Sao Paulo, Brazil",
        "SP",
        "Brazil",
        "BR",
        "South America",
        "01000",
        "",
    ),
)
NETWORKS = (
    # (asn, asn description, isp)
    ("33491", "COMCAST-33491 - Comcast Cable Communications, LLC, US", "Comcast"),
    ("701", "UUNET - MCI Communications Services, Inc. d/b/a Verizon Business, US", "Verizon"),
    ("7018", "ATT-INTERNET4 - AT&T Services, Inc., US", "AT&T"),
    ("2856", "BT-UK-AS BTnet UK Regional network, GB", "BT"),
    ("3320", "DTAG Internet service provider operations, DE", "Deutsche Telekom"),
)
CDNS = ("AKAMAI", "FASTLY", "CLOUDFRONT", "INHOUSE")
ENDED_STATUSES = ("By Player", "By Expiration", "By Error")
ERROR_CODES = ("MEDIA_ERR_NETWORK", "DRM_LICENSE_FAILED", "HTTP 404", "SOURCE_NOT_SUPPORTED")
#: The account's custom tags (filterable as ``tag_<name>``).
CUSTOM_TAGS = ("age", "has_ad", "linked_ad", "demo_version", "subscription")
AD_POSITIONS = ("Preroll", "Midroll", "Postroll")


class FastRandom:
    """The few draws a record needs, from one ``random()`` each (``randrange`` is slow)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed).random

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def choice(self, seq: tuple[Any, ...] | list[Any]) -> Any:
        return seq[int(self.random() * len(seq))]


def iso(ms: int) -> str:
    return datagen.iso_ms(ms / 1000)


def timestamp(ms: int | None) -> dict[str, Any] | None:
    return None if ms is None else {"epoch_ms": ms, "iso_date": iso(ms)}


def client_id_of(seed: int, viewer_key: str) -> str:
    n = datagen.stable_int(seed, "client", viewer_key)
    return ".".join(str((n >> shift) & 0x7FFFFFFF) for shift in (0, 16, 32, 40))


def session(
    seed: int,
    kind: str,
    skeleton: Skeleton,
    *,
    viewer_module: bool,
    viewer_id: str | None = None,
    ip: str | None = None,
    ended_by_ms: int | None = None,
) -> dict[str, Any]:
    """One session. ``ended_by_ms``: sessions still running then have no end (viewer API)."""
    r = FastRandom(datagen.stable_int(seed, kind, skeleton.minute, skeleton.index))
    viewer = viewer_id or f"viewer-{r.randrange(5000):05d}"
    client_id = client_id_of(seed, viewer)
    session_id = str(r.randrange(-(2**31), 2**31))
    ended = ended_by_ms is None or skeleton.end_ms <= ended_by_ms
    end_ms = skeleton.end_ms if ended else None
    duration = skeleton.end_ms - skeleton.start_ms
    exit_before_start = r.random() < 0.08
    vsf_tech = not exit_before_start and r.random() < 0.03
    vsf_business = not exit_before_start and not vsf_tech and r.random() < 0.02
    vpf_tech = not (exit_before_start or vsf_tech or vsf_business) and r.random() < 0.02
    vpf_business = not (exit_before_start or vsf_tech or vsf_business or vpf_tech) and (
        r.random() < 0.01
    )
    errors = []
    if vsf_tech or vsf_business or vpf_tech or vpf_business:
        errors.append(
            {
                "error_code": datagen.pick(
                    seed, ERROR_CODES, kind, skeleton.minute, skeleton.index
                ),
                "is_fatal": True,
                "timestamp": timestamp(skeleton.start_ms + duration // 2),
            }
        )
    playing = 0 if exit_before_start or vsf_tech or vsf_business else int(duration * 0.85)
    rebuffering = int(playing * r.random() * 0.03)
    device = DEVICES[r.randrange(len(DEVICES))]
    city = CITIES[r.randrange(len(CITIES))]
    network = NETWORKS[r.randrange(len(NETWORKS))]
    asset = ASSETS[r.randrange(len(ASSETS))]
    category = CATEGORIES[r.randrange(len(CATEGORIES))]
    channel = CHANNELS[r.randrange(len(CHANNELS))]
    length_ms = 0 if category == "Live" else r.choice((900_000, 1_800_000, 2_700_000))
    ip_address = (
        ip or f"{r.randrange(11, 223)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"
    )
    is_ad = kind == "ad"
    bitrate = 0 if playing == 0 else r.randrange(800_000, 8_000_000)
    record: dict[str, Any] = {
        "conviva_session_id": f"{client_id}.{session_id}",
        "client_id": client_id,
        "session_id": session_id,
        "timestamps": {"start": timestamp(skeleton.start_ms), "end": timestamp(end_ms)},
        "status_info": {
            "is_ended": ended,
            "ended_status": ENDED_STATUSES[2 if errors else r.randrange(2)] if ended else "",
            "is_exit_before_video_start": exit_before_start,
            "is_video_start_failure": vsf_tech or vsf_business,
            "is_video_start_failure_business": vsf_business,
            "is_video_start_failure_tech": vsf_tech,
            "is_video_playback_failure": vpf_tech or vpf_business,
            "is_video_playback_failure_business": vpf_business,
            "is_video_playback_failure_tech": vpf_tech,
            "errors": errors,
        },
        "lifetime_metrics": {
            "average_framerate_fps": 0 if playing == 0 else r.choice((24, 25, 30, 50, 60)),
            "average_peak_bitrate_bps": bitrate,
            "average_percentage_complete": 0
            if not length_ms
            else min(100, round(playing / length_ms * 100, 2)),
            "bitrate_switches_count": r.randrange(0, 12) if playing else 0,
            "connection_induced_rebuffering_ratio_percent": 0
            if not playing
            else round(rebuffering / (playing + rebuffering) * 50, 3),
            "connection_induced_rebuffering_time_ms": rebuffering // 2,
            "last_play_head_time_ms": playing if playing else -1,
            "playing_time_ms": playing,
            "paused_ratio_percent": round(r.random() * 5, 3) if playing else 0,
            "paused_time_ms": int(playing * r.random() * 0.05),
            "rebuffering_ratio_percent": 0
            if not playing
            else round(rebuffering / (playing + rebuffering) * 100, 3),
            "rebuffering_time_ms": rebuffering,
            "video_restart_time_ms": r.randrange(0, 800) if playing else 0,
            "video_start_time_ms": -3000 if exit_before_start else r.randrange(300, 6000),
        },
        "content_info": {
            "asset": asset,
            "category": category,
            "length_ms": length_ms,
            "stream_url": f"https://cdn.example.com/{category.lower()}/{ASSETS.index(asset)}.m3u8",
        },
        "device_info": {
            "browser": {
                "name": device[3],
                "version": device[3] if device[3] == "Native App" else "120.0",
            },
            "name": device[0],
            "os": device[1],
            "os_family": device[2],
            "os_version": f"{device[1]} {r.randrange(9, 18)}",
        },
        "geo_info": {
            "city": city[0],
            "state": {"name": city[1], "code": city[2]},
            "country": {"name": city[3], "code": city[4]},
            "continent": city[5],
            "postal_code": city[6],
            "dma": city[7],
        },
        "network_info": {
            "asn": {"value": network[0], "description": network[1]},
            "cdn": [CDNS[r.randrange(len(CDNS))]],
            "ip": ip_address,
            "ipv6": None if r.random() < 0.7 else f"2001:db8::{r.randrange(1, 0xFFFF):x}",
            "isp": network[2],
            "last_cdn_edge_server": ""
            if r.random() < 0.5
            else f"edge-{r.randrange(100)}.example.net",
            "last_cdn_group_id": "" if r.random() < 0.5 else str(r.randrange(1000)),
        },
        "tags": {
            "selected_dimensions": {
                "ad_creative_id": f"cr-{r.randrange(1000)}" if is_ad else "",
                "ad_id": f"ad-{r.randrange(10_000)}" if is_ad else "",
                "ad_media_file_api_framework": "VPAID" if is_ad and r.random() < 0.2 else "",
                "ad_planned_duration": str(r.choice((15, 30, 60))) if is_ad else "",
                "ad_position": r.choice(AD_POSITIONS) if is_ad else "",
                "ad_sequence": str(r.randrange(1, 5)) if is_ad else "",
                "ad_system": "GDFP" if is_ad else "",
                "ad_technology": "Client Side" if is_ad else "",
                "app_version": f"AV_5.{r.randrange(40, 50)}",
                "browser_name": device[3],
                "browser_version": device[3] if device[3] == "Native App" else "120.0",
                "content_category": category,
                "content_meta_channel": channel,
                "content_meta_show_title": asset,
                "content_session_id": str(r.randrange(10**9)) if is_ad else "",
                "device_hardware_type": device[4],
                "device_manufacturer": device[5],
                "device_marketing_name": f"{device[5]} {device[6]}",
                "device_model": device[6],
                "device_name": device[0],
                "device_os": device[1],
                "device_os_family": device[2],
                "device_os_version": f"{device[1]} {r.randrange(9, 18)}",
                "platform_version": "",
                "player_framework_name": device[7],
                "player_framework_version": f"{r.randrange(1, 5)}.{r.randrange(10)}",
                "player_name": device[7],
                "video_asset_name": asset,
            },
            "custom_tags": {
                "age": str(r.randrange(18, 80)),
                "has_ad": "true" if r.random() < 0.4 else "false",
                "linked_ad": r.choice(("", "pre-roll", "pre-mid-roll")),
                "demo_version": "2022.10.13+rollback_eff17a6",
                "subscription": r.choice(("free", "basic", "premium")),
            },
        },
    }
    if viewer_module:
        record["viewer_id"] = viewer
    return record


#: Query parameters naming Conviva dimensions, and how each reads a session.
DIMENSION_READERS: dict[str, Any] = {
    "geo_city_name": lambda s: s["geo_info"]["city"],
    "geo_country_code": lambda s: s["geo_info"]["country"]["code"],
    "geo_state_code": lambda s: s["geo_info"]["state"]["code"],
    "geo_continent": lambda s: s["geo_info"]["continent"],
    "geo_dma": lambda s: s["geo_info"]["dma"],
    "isp": lambda s: s["network_info"]["isp"],
    "asn": lambda s: s["network_info"]["asn"]["value"],
    "cdn": lambda s: s["network_info"]["cdn"][0],
    "client_id": lambda s: s["client_id"],
    "session_id": lambda s: s["session_id"],
}
SELECTED_DIMENSIONS = (
    "app_version",
    "browser_name",
    "browser_version",
    "content_category",
    "content_meta_channel",
    "content_meta_show_title",
    "device_hardware_type",
    "device_manufacturer",
    "device_marketing_name",
    "device_model",
    "device_name",
    "device_os",
    "device_os_family",
    "device_os_version",
    "player_framework_name",
    "player_framework_version",
    "player_name",
    "video_asset_name",
    "ad_position",
    "ad_system",
    "ad_technology",
)
for _name in SELECTED_DIMENSIONS:
    DIMENSION_READERS[_name] = lambda s, _n=_name: s["tags"]["selected_dimensions"][_n]

STATUS_FILTERS = (
    "is_exit_before_video_start",
    "is_video_playback_failure",
    "is_video_playback_failure_business",
    "is_video_playback_failure_tech",
    "is_video_start_failure",
    "is_video_start_failure_business",
    "is_video_start_failure_tech",
)
