from roadmap import dashboard_charts


def test_stacked_bars_share_one_scale_and_write_counts_that_fit():
    chart = dashboard_charts.stacked_bars(
        [
            ("5", [("done", "Done", 30), ("planned", "Planned", 10)], ""),
            ("6", [("done", "", 2)], ""),
        ]
    )
    first, second = chart.bars
    assert first.segments[0].width == 3 * first.segments[1].width
    assert second.segments[0].width < first.segments[0].width
    assert first.segments[0].shows_count


def test_tile_map_places_47_prefectures_and_shades_them_by_rate():
    tiles = {t.code: t for t in dashboard_charts.tile_map({"13": 85.0, "01": 10.0}, "ja").tiles}
    assert len(tiles) == 47
    assert (tiles["13"].name, tiles["13"].shade, tiles["13"].rate_text) == (
        "東京",
        "shade-4",
        "85.0%",
    )
    assert tiles["01"].shade == "shade-0"
    assert (tiles["47"].shade, tiles["47"].rate_text) == ("shade-none", "—")
    assert len({(t.x, t.y) for t in tiles.values()}) == 47


def test_trend_line_runs_oldest_to_newest_on_a_fixed_scale():
    trend = dashboard_charts.trend_line([("2026-09", 10.0), ("2026-10", 50.0), ("2026-11", 100.0)])
    xs = [p.x for p in trend.points]
    ys = [p.y for p in trend.points]
    assert xs == sorted(xs)
    assert ys[2] == trend.top and ys == sorted(ys, reverse=True)
    assert trend.path.count(",") == 3
