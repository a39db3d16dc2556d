#!/usr/bin/python3
"""The reference `make bench` compares kam's files -> grades workbook with.

    bench_pandas.py DIR QUARTER OUT.xlsx     e.g. bench-out/gen-x1 2026Q3 grades.xlsx

Reads every revenue CSV `kam gen` wrote into DIR (UTF-8 with BOM and 2026-10
months, or GB18030 with CRLF and 2026年10月 months; amounts as 1234.50,
-1234.50, "1,234.50" or "¥1,234.50"), sums each customer's revenue from January
to the quarter-end (and to the previous quarter-end, for the change column),
levels it against the default thresholds and progress of SPEC §4.1 — compared
in integers, money in fen — and writes one sheet with to_excel. Prints the
graded count and the tier counts, as kam's grade job does.
"""
import glob
import os
import re
import sys

import pandas as pd

THRESHOLDS_YUAN = [5_000_000, 1_000_000, 600_000, 300_000, 150_000, 80_000, 30_000, 0]
PROGRESS_PCT = [25, 50, 75, 100]
TIERS = {1: "钻石", 2: "钻石", 3: "黄金", 4: "黄金", 5: "白银", 6: "白银", 7: "普通", 8: "普通"}
RANK = {"钻石": 4, "黄金": 3, "白银": 2, "普通": 1}


def month_number(label):
    y, m = re.match(r"\s*(\d{4})\D+(\d{1,2})", label).groups()
    return int(y) * 100 + int(m)


def read_revenue(path):
    with open(path, "rb") as f:
        enc = "utf-8-sig" if f.read(3) == b"\xef\xbb\xbf" else "gb18030"
    df = pd.read_csv(path, encoding=enc, header=0, names=["customer", "month", "line", "unit", "amount"],
                     dtype=str, usecols=["customer", "month", "amount"])
    # A month label repeats on every row: parse each distinct one once.
    df["month"] = df["month"].map({m: month_number(m) for m in df["month"].unique()}).astype("int32")
    # Yuan with exactly two decimals -> integer fen, as text: never through a float.
    df["amount"] = df["amount"].str.replace(r"[¥,]", "", regex=True).str.replace(".", "", regex=False).astype("int64")
    return df


def levels(cum_fen, quarter):
    """Smallest k with C >= Tk x Pq (in integers: C*100 >= Tk_fen*P%), 8 when none."""
    p = PROGRESS_PCT[quarter - 1]
    below = 0
    for t in THRESHOLDS_YUAN:
        below = below + (cum_fen * 100 < t * 100 * p).astype("int64")
    return (below + 1).clip(upper=8)


def main():
    src, period, out = sys.argv[1], sys.argv[2], sys.argv[3]
    year, q = int(period[:4]), int(period[-1])
    files = sorted(glob.glob(os.path.join(src, "revenue_*.csv")))
    rev = pd.concat([read_revenue(f) for f in files], ignore_index=True)

    def cumulative(year, q):
        m = rev[(rev["month"] >= year * 100 + 1) & (rev["month"] <= year * 100 + 3 * q)]
        return m.groupby("customer", sort=True)["amount"].sum()

    cum = cumulative(year, q)
    prev_year, prev_q = (year, q - 1) if q > 1 else (year - 1, 4)
    prev = cumulative(prev_year, prev_q)

    g = pd.DataFrame({"cum": cum})
    g["level"] = levels(g["cum"], q)
    g["tier"] = g["level"].map(TIERS)
    prev_tier = levels(prev, prev_q).map(TIERS)
    g["prev_tier"] = prev_tier.reindex(g.index)
    change = (g["tier"].map(RANK) - g["prev_tier"].map(RANK)).fillna(0)
    g["change"] = "持平"
    g.loc[change > 0, "change"] = "升级"
    g.loc[change < 0, "change"] = "降级"
    g.loc[g["prev_tier"].isna(), "change"] = "新进"

    sheet = pd.DataFrame({
        "客户编号": g.index,
        "累计收入": g["cum"].to_numpy() / 100,  # shown in yuan; every comparison above was in fen
        "级别": g["level"].to_numpy(),
        "等级": g["tier"].to_numpy(),
        "上季等级": g["prev_tier"].fillna("").to_numpy(),
        "变动": g["change"].to_numpy(),
    })
    sheet.to_excel(out, sheet_name="分级结果", index=False)
    counts = g["tier"].value_counts()
    print("graded %d: %s; 升级 %d, 降级 %d" % (len(g), ", ".join("%s %d" % (t, counts.get(t, 0)) for t in ["钻石", "黄金", "白银", "普通"]),
                                            (g["change"] == "升级").sum(), (g["change"] == "降级").sum()))


if __name__ == "__main__":
    main()
