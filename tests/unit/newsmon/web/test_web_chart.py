from datetime import date, timedelta

from newsmon.web.chart import COLOURS, volume_chart

DAYS = [date(2026, 12, 1) + timedelta(days=i) for i in range(7)]


def test_one_line_per_topic_largest_first_with_a_point_per_day() -> None:
    chart = volume_chart(DAYS, {"b": [0, 0, 1, 0, 0, 0, 0], "a": [1, 2, 3, 4, 0, 0, 2]})
    assert [line.topic for line in chart.lines] == ["a", "b"]
    assert [line.total for line in chart.lines] == [12, 1]
    points = [p.split(",") for p in chart.lines[0].points.split()]
    assert len(points) == 7
    ys = [float(y) for _, y in points]
    assert min(ys) == chart.top  # the peak (4) touches the top
    assert max(ys) == chart.height - chart.bottom  # zero sits on the axis
    assert not chart.empty
    assert [d.label for d in chart.lines[1].dots] == ["b, 2026-12-03: 1 article(s)"]


def test_topics_without_articles_are_left_out_and_no_data_is_empty() -> None:
    assert volume_chart(DAYS, {"a": [0] * 7}).empty
    assert volume_chart(DAYS, {}).empty


def test_at_most_one_line_per_colour() -> None:
    series = {f"t{n}": [n + 1] * 7 for n in range(len(COLOURS) + 3)}
    assert len(volume_chart(DAYS, series).lines) == len(COLOURS)
