# SPDX-License-Identifier: MIT
"""pandas_bench.py - the original implementation's path, for `make bench`.

The dataset manager this project replaces stored datasets with pandas
(read_csv, then DataFrame.to_sql on an SQLAlchemy engine) and read them
back with read_sql_query. ci/bench.sh times this script beside `mdm` on the
same files, doing the same jobs:

  pandas_bench.py register URL CSV [TABLE]   read_csv + to_sql (if_exists=fail)
  pandas_bench.py load URL [LIMIT] [TABLE]   read_sql_query, then to_csv
  pandas_bench.py query URL SQL              read_sql_query, then to_csv

URL is an SQLAlchemy URL: sqlite:////abs/path.sqlite or
postgresql+psycopg2://... . `load` and `query` write CSV to stdout (as
`mdm load --format csv` does), which the benchmark discards. Uses Debian's
python3-pandas, python3-sqlalchemy and python3-psycopg2 as they are.
"""
import sys

import pandas as pd
import sqlalchemy


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, url = argv[1], argv[2]
    engine = sqlalchemy.create_engine(url)
    try:
        if cmd == "register" and len(argv) in (4, 5):
            table = argv[4] if len(argv) == 5 else "train"
            df = pd.read_csv(argv[3])
            df.to_sql(table, engine, if_exists="fail", index=False)
        elif cmd == "load" and len(argv) in (3, 4, 5):
            table = argv[4] if len(argv) == 5 else "train"
            sql = f'SELECT * FROM "{table}"'
            if len(argv) >= 4 and argv[3] not in ("", "0"):
                sql += f" LIMIT {int(argv[3])}"
            df = pd.read_sql_query(sql, engine)
            df.to_csv(sys.stdout, index=False)
        elif cmd == "query" and len(argv) == 4:
            df = pd.read_sql_query(argv[3], engine)
            df.to_csv(sys.stdout, index=False)
        else:
            sys.stderr.write(__doc__)
            return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
