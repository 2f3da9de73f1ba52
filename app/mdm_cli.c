/* SPDX-License-Identifier: MIT */
/*
 * mdm_cli.c - the program's command line: global options, the command
 * table with each command's synopsis and help, option parsing, exit codes,
 * one-line errors, and the session (home, config file, feature flag
 * resolved as command line > MDM_STORAGE_* > rollout state > config >
 * defaults).
 */
#include "mdm_cli_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

/* ---- The commands ------------------------------------------------------------ */

static const cli_opt_spec register_opts[] = {
    {"--table", 0, "T"}, {"--if-exists", 0, "MODE"}, {"--sep", 0, "S"}, {NULL, 0, NULL}};
static const cli_opt_spec load_opts[] = {
    {"--table", 0, "T"}, {"--columns", 0, "A,B"}, {"--limit", 0, "N"},
    {"--format", 0, "FMT"}, {NULL, 0, NULL}};
static const cli_opt_spec query_opts[] = {
    {"--param", 0, "K=V"}, {"--format", 0, "FMT"}, {NULL, 0, NULL}};
static const cli_opt_spec format_opts[] = {{"--format", 0, "FMT"}, {NULL, 0, NULL}};
static const cli_opt_spec flags_opts[] = {
    {"--dataset", 0, "NAME"}, {"--format", 0, "FMT"}, {NULL, 0, NULL}};
static const cli_opt_spec migrate_opts[] = {{"--output", 'o', "NEW.yaml"}, {NULL, 0, NULL}};
static const cli_opt_spec no_opts[] = {{NULL, 0, NULL}};
static const cli_opt_spec rollout_opts[] = {
    {"--resume", 0, NULL}, {"--format", 0, "FMT"}, {"--output", 'o', "FILE"}, {NULL, 0, NULL}};

#define MDM_ROLLOUT_HELP                                                                    \
    "Moves the storage flag from legacy to modern one step at a time, on evidence.\n"      \
    "\n"                                                                                   \
    "  status    per flag (reads, writes): mode, percent, how many datasets each\n"        \
    "            implementation serves, and the evidence since the last change:\n"        \
    "            comparisons by outcome, the unexpected mismatch rate and the\n"           \
    "            candidate error rate with their 95% upper bounds (exact one-sided\n"      \
    "            Clopper-Pearson; 0 in n comparisons gives about 3/n), the latency\n"      \
    "            ratio candidate/control at p50 and p99, and what advance would do.\n"    \
    "  advance   does exactly one thing and says why: start (shadow every read),\n"      \
    "            advance one step, hold (not enough evidence, or an upper bound not\n"    \
    "            yet under its limit), or roll back when checks have failed\n"            \
    "            rollback_after times in a row (the kill switch, or with rollback:\n"     \
    "            step_back one step down). --resume clears the kill switch after a\n"    \
    "            rollback. Each change starts a new generation: the evidence counts\n"    \
    "            from there.\n"                                                           \
    "  history   every decision with its evidence (<home>/rollout/history.jsonl,\n"      \
    "            append-only).\n"                                                         \
    "  report    one self-contained HTML page (inline SVG, no script, nothing\n"          \
    "            fetched): the percent of each flag, the mismatch and candidate\n"       \
    "            error rates with their upper bounds, the latency ratios, and every\n"   \
    "            decision; to stdout, or -o FILE (written whole, then renamed).\n"       \
    "\n"                                                                                   \
    "Phases: reads shadow; reads modern from one step to the maximum (the\n"             \
    "datasets not yet moved stay in shadow, so evidence keeps coming); writes\n"          \
    "shadow (legacy writes the dataset; modern writes a scratch copy beside it, the\n"   \
    "two are reconciled by row counts and order-independent checksums, counted,\n"     \
    "and the copy removed); writes modern from one step to the maximum (the rest\n"     \
    "shadowed); done (legacy can be removed). Reads at the maximum go on to writes\n"   \
    "shadow without waiting: there is nothing left to compare, and shadowing writes\n"  \
    "changes nothing a caller sees.\n"                                                    \
    "\n"                                                                                   \
    "Policy (config file, rollout.policy; defaults in brackets):\n"                      \
    "  step [10]                       percent points per advance\n"                      \
    "  maximum [100]                   the percent a phase ends at\n"                     \
    "  min_comparisons [300]           evidence needed before any verdict\n"             \
    "  max_mismatch_rate [0.01]        unexpected mismatches per comparison\n"           \
    "  max_candidate_error_rate [0.01] candidate errors per comparison\n"                \
    "  max_p99_latency_ratio [2.0]     candidate p99 / control p99\n"                    \
    "  rollback_after [2]              failed checks in a row that roll back\n"          \
    "  rollback [kill_switch]          kill_switch: everything back to legacy;\n"        \
    "                                  step_back: the failing flag one step down\n"      \
    "                                  (from its first step to shadow; from shadow,\n"   \
    "                                  the kill switch)\n"                               \
    "A check fails when a rate (or the p99 ratio) is over its limit; a step is\n"        \
    "taken only when every check passes and both upper bounds are under their\n"         \
    "limits.\n"                                                                            \
    "\n"                                                                                   \
    "Evidence: every shadow comparison is counted in <home>/rollout/evidence.sqlite\n"   \
    "by generation, flag, operation, dataset and outcome (match; expected, with\n"      \
    "the id of its entry in the expected-differences list; mismatch; candidate_error;\n" \
    "control_error), with both latencies as histograms; unexpected ones are also\n"      \
    "logged line by line in the shadow log. The state the flag reads is\n"               \
    "<home>/rollout/state (replaced atomically; 'mdm flags' shows it as source\n"        \
    "'rollout': command line > environment > rollout state > config file >\n"           \
    "defaults).\n"                                                                         \
    "\n"                                                                                   \
    "  --resume             (advance) clear the kill switch after a rollback\n"          \
    "  --format FMT         table (default), csv or json\n"                             \
    "  -o, --output FILE    (report) where to write the page\n"

static const cli_command commands[] = {
    {"register", "NAME FILE.csv|DIR|- [--table T] [--if-exists fail|replace|append] [--sep S]",
     "Reads FILE (RFC 4180, types inferred as pandas does) and stores it as\n"
     "table T (default: train) of dataset NAME, creating the dataset if needed.\n"
     "Names are lowercased, '-' becomes '_'; letters, digits and '_' only.\n"
     "FILE may be compressed: gzip, bzip2, xz, zstd or a zip of one file, told by\n"
     "its first bytes (a .gz, .bz2, .xz, .zst or .zip name must match them).\n"
     "'-' reads standard input (named <stdin> in messages).\n"
     "\n"
     "DIR is a dataset folder in the Kaggle layout: train.csv, test.csv and\n"
     "sample_submission.csv or gender_submission.csv (each may be .tsv and\n"
     "compressed) become tables train, test and submission of one dataset, in\n"
     "one step: every file is read first, and with --if-exists fail an existing\n"
     "table stops the register before any table is written. On modern all the\n"
     "tables are written in one transaction (all or none, whatever --if-exists\n"
     "says); legacy writes them one at a time, and a failure drops the tables it\n"
     "made but not the rows already replaced or appended. Other files are\n"
     "refused by name unless --table FILE=T maps them (hidden files are left out).\n"
     "\n"
     "  --table T            table to write (default: train); for DIR,\n"
     "                       --table FILE=T (repeatable) names FILE's table\n"
     "  --if-exists MODE     when a table exists: fail (default, exit 5),\n"
     "                       replace (atomic on modern) or append; for DIR it\n"
     "                       applies to each table\n"
     "  --sep S              field separator: one character, or comma,\n"
     "                       semicolon, tab, pipe (default: sniffed from the\n"
     "                       header and first lines among those four; tab for\n"
     "                       a .tsv name)\n"
     "\n"
     "The whole input is checked before the dataset is touched: a bad CSV or a\n"
     "corrupt archive changes nothing. On modern the rows are then converted and\n"
     "written 8 MiB of the file at a time, so memory stays bounded whatever its\n"
     "size (compressed or piped input past 8 MiB waits in a temporary file in\n"
     "$TMPDIR). On a terminal, long writes show a progress bar on stderr.\n",
     register_opts, 2, 2, mdm_cmd_register},
    {"load", "NAME [--table T] [--columns a,b] [--limit N] [--format table|csv|json]",
     "Prints a table of dataset NAME.\n"
     "\n"
     "  --table T            table to read (default: train)\n"
     "  --columns a,b        only these columns, in this order\n"
     "  --limit N            at most N rows (modern: 0 gives the header only;\n"
     "                       legacy read 0 as no limit)\n"
     "  --format FMT         table (default, for people), csv (header, RFC 4180\n"
     "                       rows, NULL as an empty field) or json\n",
     load_opts, 1, 1, mdm_cmd_load},
    {"query", "NAME SQL [--param k=v]... [--format table|csv|json]",
     "Runs one SQL statement on dataset NAME and prints its rows. Statements\n"
     "that read (SELECT, WITH, ...) follow the reads setting, others the writes\n"
     "setting of the storage flag.\n"
     "\n"
     "  --param k=v          binds :k in SQL (repeatable). The value is an\n"
     "                       integer or a float when it reads as one, else\n"
     "                       text; force a type with k:int=, k:float=, k:bool=,\n"
     "                       k:text=, k:timestamp=, or k:null for NULL.\n"
     "                       Bound by value (legacy binds none: its path\n"
     "                       writes them in as quoted SQL literals).\n"
     "  --format FMT         table (default), csv or json\n",
     query_opts, 2, 2, mdm_cmd_query},
    {"info", "NAME [--format table|csv|json]",
     "Shows where dataset NAME lives, which implementation serves it, and its\n"
     "tables with row counts and column types.\n"
     "\n"
     "  --format FMT         table (default), csv or json (one row per column:\n"
     "                       table, rows, column, type)\n",
     format_opts, 1, 1, mdm_cmd_info},
    {"list", "[--format table|csv|json]",
     "Lists the datasets of the home (SQLite) or of the server (PostgreSQL).\n"
     "\n"
     "  --format FMT         table (default), csv or json\n",
     format_opts, 0, 0, mdm_cmd_list},
    {"remove", "NAME",
     "Deletes dataset NAME: its SQLite file (with -wal and -shm) and folder, or\n"
     "its PostgreSQL database. Exit 3 when it does not exist.\n",
     no_opts, 1, 1, mdm_cmd_remove},
    {"flags", "[--dataset NAME] [--format table|csv|json]",
     "Prints each effective setting of the storage flag, its value and where\n"
     "it came from (command line > MDM_STORAGE_* environment > rollout state\n"
     "that 'mdm rollout advance' keeps > config file's rollout: > defaults).\n"
     "With --dataset, also the dataset's bucket for reads and writes (murmur3\n"
     "of \"<flag>:<dataset>\" % 100 + 1; the dataset is in the rollout when\n"
     "bucket <= percent) and which implementation serves it.\n"
     "\n"
     "  --dataset NAME       show NAME's buckets and implementations\n"
     "  --format FMT         table (default), csv or json\n",
     flags_opts, 0, 0, mdm_cmd_flags},
    {"rollout", "status|advance|history|report [--resume] [--format table|csv|json] [-o FILE]",
     MDM_ROLLOUT_HELP,
     rollout_opts, 1, 1, mdm_cmd_rollout},
    {"config migrate", "OLD.yaml [-o NEW.yaml]",
     "Rewrites a config file in the old format (database:) in the new format\n"
     "(storage:), keeping every setting; rollout: is kept as it is. Prints to\n"
     "stdout, or writes NEW.yaml (replaced atomically). Comments are not kept.\n"
     "Unknown keys and bad values are errors naming file, line and key.\n"
     "\n"
     "  -o, --output NEW.yaml  where to write the new file\n",
     migrate_opts, 1, 1, mdm_cmd_config_migrate},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const cli_opt_spec global_opts[] = {
    {"--home", 0, "DIR"}, {"--config", 0, "FILE"}, {"--impl", 0, "IMPL"}, {NULL, 0, NULL}};

/* ---- Exit codes and messages -------------------------------------------------------- */

int mdm_cli_exit_code(mdm_status st)
{
    switch (st) {
    case MDM_OK: return MDM_EXIT_OK;
    case MDM_ERR_INVALID_ARG:
    case MDM_ERR_UNSUPPORTED: return MDM_EXIT_USAGE;
    case MDM_ERR_NOT_FOUND: return MDM_EXIT_NOT_FOUND;
    case MDM_ERR_CONFIG: return MDM_EXIT_CONFIG;
    case MDM_ERR_EXISTS: return MDM_EXIT_EXISTS;
    default: return MDM_EXIT_FAILED;
    }
}

/* Prints s on one line: newlines and tabs become spaces. */
static void put_one_line(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s, f);
}

int cli_fail(mdm_cli *cli, const mdm_error *err)
{
    FILE *f = cli->io->err;
    fprintf(f, "mdm: %s%s", cli->cmd != NULL ? cli->cmd : "", cli->cmd != NULL ? ": " : "");
    put_one_line(f, err->message[0] ? err->message : mdm_status_name(err->code));
    fputc('\n', f);
    return mdm_cli_exit_code(err->code != MDM_OK ? err->code : MDM_ERR_INTERNAL);
}

int cli_usage(mdm_cli *cli, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cli->cmd != NULL)
        fprintf(cli->io->err, "mdm: %s: %s (see 'mdm %s --help')\n", cli->cmd, msg, cli->cmd);
    else
        fprintf(cli->io->err, "mdm: %s (see 'mdm --help')\n", msg);
    return MDM_EXIT_USAGE;
}

/* ---- Help ------------------------------------------------------------------------------ */

/* The parts of the help that `mdm --help` and the man page share. */
static const char USAGE_INTRO[] =
    "Keeps datasets (CSV files turned into tables) in SQLite or PostgreSQL.\n";
static const char USAGE_GLOBALS[] =
    "  --home DIR       the mdm home (default: $MDM_HOME, else ~/.mdm); datasets\n"
    "                   live in DIR/datasets/<name>/dataset.sqlite\n"
    "  --config FILE    config file, old (database:) or new (storage:) format\n"
    "                   (default: DIR/mdm.yaml when it exists)\n"
    "  --impl IMPL      implementation for this run: legacy, modern or shadow\n"
    "                   (shadow: legacy answers, modern is compared, mismatches\n"
    "                   go to the shadow log)%s\n"
    "  -h, --help       this help; 'mdm COMMAND --help' for one command\n"
    "  --version        version and build\n";
static const char USAGE_ENV[] =
    "MDM_HOME, MDM_STORAGE_IMPL, MDM_STORAGE_READS,\n"
    "  MDM_STORAGE_WRITES, MDM_STORAGE_READS_PERCENT, MDM_STORAGE_WRITES_PERCENT,\n"
    "  MDM_STORAGE_KILL_SWITCH, MDM_STORAGE_SHADOW_LOG,\n"
    "  MDM_STORAGE_EXPECTED_DIFFERENCES (see 'mdm flags --help').\n";
static const char USAGE_EXIT[] =
    "  0  success\n"
    "  1  the operation failed (storage, SQL, CSV or I/O error)\n"
    "  2  usage error: bad command line or value, or not available in this build\n"
    "  3  not found: dataset, table, column or file\n"
    "  4  configuration error: config file or MDM_STORAGE_* value\n"
    "  5  already exists: register onto an existing table with --if-exists fail\n"
    "Errors are one line on stderr: mdm: COMMAND: what went wrong.\n";
#define USAGE_NO_LEGACY \
    (MDM_WITH_LEGACY ? "" : "\n                   (this build has no legacy/: modern only)")

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: mdm [--home DIR] [--config FILE] [--impl legacy|modern|shadow] COMMAND ...\n"
            "\n%s\nCommands:\n", USAGE_INTRO);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  mdm %s %s\n", commands[i].name, commands[i].synopsis);
    fprintf(f, "\nGlobal options (before or after the command):\n");
    fprintf(f, USAGE_GLOBALS, USAGE_NO_LEGACY);
    fprintf(f, "\nEnvironment: %s\nExit codes:\n%s", USAGE_ENV, USAGE_EXIT);
}

/* ---- The man page and the bash completion (mdm help --man | --bash) ------------------ */

/* Text as roff: a line starting with '.' or '\'' made literal, '\' as \e,
 * '-' as \- (so options copy and paste as typed). */
static void roff_text(FILE *f, const char *s)
{
    bool bol = true;
    for (; *s != '\0'; s++) {
        if (bol && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
        bol = *s == '\n';
    }
}

/* A preformatted block: the help's columns stay aligned. */
static void roff_block(FILE *f, const char *s)
{
    fputs(".PP\n.nf\n", f);
    roff_text(f, s);
    fputs(".fi\n", f);
}

static void write_man(FILE *f)
{
    char globals[2048];
    snprintf(globals, sizeof globals, USAGE_GLOBALS, USAGE_NO_LEGACY);
    fprintf(f, ".\\\" Generated by 'mdm help --man' from the program's help texts.\n"
               ".TH MDM 1 \"\" \"mdm %s\" \"User Commands\"\n.SH NAME\nmdm \\- ", MDM_VERSION);
    roff_text(f, "keeps datasets (CSV files turned into tables) in SQLite or PostgreSQL\n");
    fputs(".SH SYNOPSIS\n.B mdm\n", f);
    roff_text(f, "[--home DIR] [--config FILE] [--impl legacy|modern|shadow] COMMAND ...\n");
    fputs(".SH DESCRIPTION\n", f);
    roff_text(f, USAGE_INTRO);
    fputs(".SH COMMANDS\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        fputs(".SS \"mdm ", f);
        roff_text(f, commands[i].name);
        fputs(" ", f);
        roff_text(f, commands[i].synopsis);
        fputs("\"\n", f);
        roff_block(f, commands[i].help);
    }
    fputs(".SH GLOBAL OPTIONS\nBefore or after the command.\n", f);
    roff_block(f, globals);
    fputs(".SH ENVIRONMENT\n", f);
    roff_block(f, USAGE_ENV);
    fputs(".SH EXIT STATUS\n", f);
    roff_block(f, USAGE_EXIT);
}

/* A bash completion: commands, each one's options, dataset names (from
 * `mdm list`, with the --home and --config already typed). */
static void write_bash(FILE *f)
{
    fputs("# bash completion for mdm; generated by 'mdm help --bash'\n"
          "_mdm() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    local cmd='' i home=() opts\n"
          "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
          "        case ${COMP_WORDS[i]} in\n"
          "        --home|--config) home+=(\"${COMP_WORDS[i]}\" \"${COMP_WORDS[i+1]}\"); ((i++)) ;;\n"
          "        --impl) ((i++)) ;;\n"
          "        -*) ;;\n"
          "        *) [ -z \"$cmd\" ] && cmd=${COMP_WORDS[i]} ;;\n"
          "        esac\n"
          "    done\n"
          "    case $prev in\n"
          "    --home|--config|-o|--output) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
          "    --impl) COMPREPLY=($(compgen -W 'legacy modern shadow' -- \"$cur\")); return ;;\n"
          "    --if-exists) COMPREPLY=($(compgen -W 'fail replace append' -- \"$cur\")); return ;;\n"
          "    --format) COMPREPLY=($(compgen -W 'table csv json' -- \"$cur\")); return ;;\n"
          "    --sep) COMPREPLY=($(compgen -W 'comma semicolon tab pipe' -- \"$cur\")); return ;;\n"
          "    esac\n"
          "    case $cmd in\n", f);
    fputs("    '') opts='--home --config --impl --help --version", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strchr(commands[i].name, ' ') == NULL)
            fprintf(f, " %s", commands[i].name);
    fputs(" config help' ;;\n    config) opts='migrate' ;;\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const char *name = commands[i].name, *sp = strchr(name, ' ');
        fprintf(f, "    %s)", sp != NULL ? sp + 1 : name);
        fputs(" opts='--help --home --config --impl", f);
        for (const cli_opt_spec *o = commands[i].opts; o->name != NULL; o++)
            fprintf(f, " %s", o->name);
        /* a first word of choices ("status|advance|...") are subcommands */
        const char *syn = commands[i].synopsis;
        size_t w = strcspn(syn, " ");
        if (syn[0] != '[' && memchr(syn, '|', w) != NULL) {
            fputc(' ', f);
            for (size_t k = 0; k < w; k++)
                fputc(syn[k] == '|' ? ' ' : syn[k], f);
        }
        fputs("'", f);
        if (commands[i].max_pos > 0 && strncmp(commands[i].synopsis, "NAME", 4) == 0)
            fputs("\n        [[ $cur != -* ]] && COMPREPLY=($(compgen -W \"$(mdm \"${home[@]}\" list"
                  " --format csv 2>/dev/null | tail -n +2 | cut -d, -f1)\" -- \"$cur\"))", f);
        if (strcmp(name, "register") == 0 || sp != NULL)
            fputs("\n        [[ $cur != -* ]] && COMPREPLY+=($(compgen -f -- \"$cur\"))", f);
        fputs(" ;;\n", f);
    }
    fputs("    help) opts='--man --bash", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strchr(commands[i].name, ' ') == NULL)
            fprintf(f, " %s", commands[i].name);
    fputs(" config' ;;\n"
          "    esac\n"
          "    [[ $cur == -* || -z $cmd || $cmd == help || $cmd == config ]] &&\n"
          "        COMPREPLY+=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "}\n"
          "complete -o filenames -F _mdm mdm\n", f);
}

static void print_command_help(FILE *f, const cli_command *c)
{
    fprintf(f, "usage: mdm [global options] %s %s\n\n%s", c->name, c->synopsis, c->help);
    fprintf(f, "\nGlobal options: --home DIR, --config FILE, --impl legacy|modern|shadow "
               "(see 'mdm --help').\n");
}

static int print_version(const mdm_cli_io *io)
{
    fprintf(io->out, "mdm %s (storage: %s; backends: sqlite, postgresql)\n", MDM_VERSION,
            MDM_WITH_LEGACY ? "legacy, modern, shadow" : "modern only (built without legacy/)");
    return MDM_EXIT_OK;
}

/* ---- Parsing ---------------------------------------------------------------------------- */

const char *cli_opt(const cli_args *a, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < a->nopts; i++)
        if (strcmp(a->names[i], name) == 0)
            v = a->values[i];
    return v;
}

bool cli_flag(const cli_args *a, const char *name)
{
    for (size_t i = 0; i < a->nopts; i++)
        if (strcmp(a->names[i], name) == 0)
            return true;
    return false;
}

static const cli_opt_spec *find_opt(const cli_opt_spec *specs, const char *name, char short_name)
{
    for (const cli_opt_spec *s = specs; s != NULL && s->name != NULL; s++)
        if ((name != NULL && strcmp(s->name, name) == 0) ||
            (short_name != 0 && s->short_name == short_name))
            return s;
    return NULL;
}

/* Records one option; `inline_value` is the text after '=' or NULL. */
static int take_opt(mdm_cli *cli, const cli_opt_spec *s, const char *shown, const char *inline_value,
                    int argc, char **argv, int *i, cli_args *a)
{
    const char *v = inline_value;
    if (s->arg == NULL && v != NULL)
        return cli_usage(cli, "option %s takes no value", s->name);
    if (s->arg != NULL && v == NULL) {
        if (*i + 1 >= argc)
            return cli_usage(cli, "option %s needs a value (%s)", shown, s->arg);
        v = argv[++*i];
    }
    if (a->nopts == CLI_MAX_OPTS)
        return cli_usage(cli, "too many options");
    a->names[a->nopts] = s->name;
    a->values[a->nopts++] = v != NULL ? v : "";
    return MDM_EXIT_OK;
}

/* Finds the spec for one option word among the command's and the globals. */
static const cli_opt_spec *lookup(const cli_opt_spec *own, const char *word, char *name,
                                  size_t n, const char **inline_value)
{
    const char *eq = strchr(word, '=');
    *inline_value = NULL;
    if (word[1] != '-') {   /* -o */
        if (word[2] != '\0')
            return NULL;
        const cli_opt_spec *s = find_opt(own, NULL, word[1]);
        return s != NULL ? s : find_opt(global_opts, NULL, word[1]);
    }
    size_t len = eq != NULL ? (size_t)(eq - word) : strlen(word);
    snprintf(name, n, "%.*s", (int)len, word);
    if (eq != NULL)
        *inline_value = eq + 1;
    const cli_opt_spec *s = find_opt(own, name, 0);
    return s != NULL ? s : find_opt(global_opts, name, 0);
}

/* Parses argv[from..argc) for a command. Returns an exit code; -1 when
 * help was asked for. */
static int parse_args(mdm_cli *cli, const cli_command *c, int argc, char **argv, int from,
                      cli_args *a)
{
    bool opts_done = false;
    memset(a, 0, sizeof *a);
    for (int i = from; i < argc; i++) {
        const char *w = argv[i];
        char name[64];
        const char *inline_value = NULL;
        if (!opts_done && (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0))
            return -1;
        if (!opts_done && strcmp(w, "--") == 0) {
            opts_done = true;
        } else if (!opts_done && w[0] == '-' && w[1] != '\0') {
            const cli_opt_spec *s = lookup(c->opts, w, name, sizeof name, &inline_value);
            if (s == NULL)
                return cli_usage(cli, "unknown option '%s'", w);
            int rc = take_opt(cli, s, w, inline_value, argc, argv, &i, a);
            if (rc != MDM_EXIT_OK)
                return rc;
        } else if (a->npos < c->max_pos) {
            a->pos[a->npos++] = w;
        } else {
            return cli_usage(cli, "unexpected argument '%s'", w);
        }
    }
    if (a->npos < c->min_pos)
        return cli_usage(cli, "missing argument: %s %s", c->name, c->synopsis);
    return MDM_EXIT_OK;
}

static void take_globals(mdm_cli *cli, const cli_args *a)
{
    const char *v;
    if ((v = cli_opt(a, "--home")) != NULL)
        cli->home_opt = v;
    if ((v = cli_opt(a, "--config")) != NULL)
        cli->config_opt = v;
    if ((v = cli_opt(a, "--impl")) != NULL)
        cli->impl_opt = v;
}

/* Global options before the command; returns the command's index in argv
 * or a negative exit code (-1 - code). */
static int parse_globals(mdm_cli *cli, int argc, char **argv, bool *help, bool *version)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *w = argv[i], *inline_value = NULL;
        char name[64];
        if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
            *help = true;
            continue;
        }
        if (strcmp(w, "--version") == 0) {
            *version = true;
            continue;
        }
        const cli_opt_spec *s = lookup(NULL, w, name, sizeof name, &inline_value);
        cli_args a;
        memset(&a, 0, sizeof a);
        int rc = s != NULL ? take_opt(cli, s, w, inline_value, argc, argv, &i, &a)
                           : cli_usage(cli, "unknown option '%s'", w);
        if (rc != MDM_EXIT_OK)
            return -1 - rc;
        take_globals(cli, &a);
    }
    return i;
}

/* The command at argv[i] ("config" takes its subcommand), or NULL. */
static const cli_command *find_command(int argc, char **argv, int *i)
{
    const char *w = argv[*i];
    if (strcmp(w, "config") == 0) {
        if (*i + 1 < argc && strcmp(argv[*i + 1], "migrate") == 0) {
            ++*i;
            return &commands[NCOMMANDS - 1];
        }
        return NULL;
    }
    for (size_t k = 0; k < NCOMMANDS; k++)
        if (strcmp(commands[k].name, w) == 0)
            return &commands[k];
    return NULL;
}

static int run_help_command(mdm_cli *cli, int argc, char **argv, int i)
{
    if (i + 1 >= argc) {
        print_usage(cli->io->out);
        return MDM_EXIT_OK;
    }
    if (strcmp(argv[i + 1], "--man") == 0 || strcmp(argv[i + 1], "--bash") == 0) {
        (argv[i + 1][2] == 'm' ? write_man : write_bash)(cli->io->out);
        return MDM_EXIT_OK;
    }
    int k = i + 1;
    const cli_command *c = find_command(argc, argv, &k);
    if (c == NULL)
        return cli_usage(cli, "unknown command '%s'", argv[i + 1]);
    print_command_help(cli->io->out, c);
    return MDM_EXIT_OK;
}

int mdm_cli_run(int argc, char **argv, const mdm_cli_io *io)
{
    mdm_cli cli = {io, NULL, NULL, NULL, NULL};
    bool help = false, version = false;
    cli_args a;
    int i = parse_globals(&cli, argc, argv, &help, &version);
    if (i < 0)
        return -1 - i;
    if (version)
        return print_version(io);
    if (i >= argc) {
        print_usage(help ? io->out : io->err);
        return help ? MDM_EXIT_OK : MDM_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0)
        return run_help_command(&cli, argc, argv, i);
    const cli_command *c = find_command(argc, argv, &i);
    if (c == NULL)
        return strcmp(argv[i], "config") == 0
                   ? cli_usage(&cli, "config: expected 'config migrate OLD.yaml [-o NEW.yaml]'")
                   : cli_usage(&cli, "unknown command '%s'", argv[i]);
    cli.cmd = c->name;
    if (help) {
        print_command_help(io->out, c);
        return MDM_EXIT_OK;
    }
    int rc = parse_args(&cli, c, argc, argv, i + 1, &a);
    if (rc == -1) {
        print_command_help(io->out, c);
        return MDM_EXIT_OK;
    }
    if (rc != MDM_EXIT_OK)
        return rc;
    take_globals(&cli, &a);
    return c->run(&cli, &a);
}

/* ---- The session --------------------------------------------------------------------------- */

static mdm_status find_home(mdm_cli *cli, cli_session *s, mdm_error *err)
{
    const char *home = cli->home_opt;
    const char *env_home = mdm_env_get(&cli->io->env, "MDM_HOME");
    int n = 0;
    s->user_home = mdm_env_get(&cli->io->env, "HOME");
    if (home != NULL && home[0] == '\0')
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "--home: empty path");
    if (home == NULL && env_home != NULL && env_home[0] != '\0')
        home = env_home;
    if (home != NULL)
        n = snprintf(s->home, sizeof s->home, "%s", home);
    else if (s->user_home != NULL && s->user_home[0] != '\0')
        n = snprintf(s->home, sizeof s->home, "%s/.mdm", s->user_home);
    else
        return mdm_error_set(err, MDM_ERR_CONFIG, "no mdm home: set MDM_HOME or HOME, or pass --home");
    if (n < 0 || (size_t)n >= sizeof s->home)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "home path too long");
    while (n > 1 && s->home[n - 1] == '/')
        s->home[--n] = '\0';
    return MDM_OK;
}

static mdm_status load_config(mdm_cli *cli, cli_session *s, mdm_error *err)
{
    char path[2100];
    struct stat st;
    if (cli->config_opt != NULL) {
        if (stat(cli->config_opt, &st) != 0)
            return mdm_error_set(err, MDM_ERR_CONFIG, "cannot read config file '%s': %s",
                                 cli->config_opt, strerror(errno));
        return mdm_app_config_load_file(&s->cfg, cli->config_opt, err);
    }
    snprintf(path, sizeof path, "%s/mdm.yaml", s->home);
    if (stat(path, &st) != 0)
        return MDM_OK;   /* no file: defaults */
    return mdm_app_config_load_file(&s->cfg, path, err);
}

/* A config file that does not parse as YAML is a configuration error. */
static mdm_status config_error(mdm_status rc, mdm_error *err)
{
    if (rc == MDM_ERR_PARSE || rc == MDM_ERR_IO) {
        if (err != NULL)
            err->code = MDM_ERR_CONFIG;
        return MDM_ERR_CONFIG;
    }
    return rc;
}

/* The flag: config layer (already in cfg), then the rollout state
 * `mdm rollout advance` keeps, then environment, then --impl. */
static mdm_status resolve_flags(mdm_cli *cli, cli_session *s, mdm_error *err)
{
    mdm_rollout_paths p;
    s->flags = s->cfg.flags;
    mdm_rollout_paths_init(&p, s->home);
    mdm_status rc = mdm_rollout_state_load(p.state, &s->rollout, err);
    if (rc == MDM_OK)
        rc = mdm_rollout_state_apply(&s->rollout, p.state, &s->flags, err);
    if (rc == MDM_OK)
        rc = mdm_flag_apply_env(&s->flags, &cli->io->env, err);
    if (rc == MDM_OK && (rc = mdm_flag_apply_cli(&s->flags, cli->impl_opt, err)) == MDM_ERR_CONFIG)
        rc = err->code = MDM_ERR_INVALID_ARG;   /* a bad --impl is a usage error */
    if (rc == MDM_OK && cli->impl_opt != NULL && s->flags.kill_switch) {
        char where[300];
        fprintf(cli->io->err,
                "mdm: warning: the kill switch is on (%s): legacy serves everything, "
                "--impl %s is overridden\n",
                mdm_flag_origin_text(&s->flags.kill_switch_from, where, sizeof where),
                cli->impl_opt);
    }
    return rc;
}

/* Config and flag errors from the parsing layers are CONFIG; an --impl
 * this build lacks stays UNSUPPORTED (a usage error). */
mdm_status cli_session_open(mdm_cli *cli, cli_session *s, bool need_dsm, mdm_error *err)
{
    memset(s, 0, sizeof *s);
    mdm_app_config_init(&s->cfg);
    mdm_status rc = find_home(cli, s, err);
    if (rc == MDM_OK)
        rc = config_error(load_config(cli, s, err), err);
    if (rc == MDM_OK)
        rc = resolve_flags(cli, s, err);
    if (rc == MDM_OK && need_dsm) {
        mdm_dsm_opts o = {s->home, s->user_home, &s->cfg, &s->flags, cli->io->err};
        rc = mdm_dsm_new(&s->dsm, &o, err);
    }
    return rc;
}

void cli_session_close(cli_session *s)
{
    mdm_dsm_free(s->dsm);
    s->dsm = NULL;
    mdm_app_config_reset(&s->cfg);
}

mdm_status cli_format(const cli_args *a, mdm_out_format *out, mdm_error *err)
{
    const char *f = cli_opt(a, "--format");
    *out = MDM_OUT_TABLE;
    return f != NULL ? mdm_out_format_parse(f, out, err) : MDM_OK;
}
