"""Shell completion scripts for bash, zsh and fish, generated from the argparse parser.

The script is derived from the parser itself (commands, their options, which options take a
value, choices), so a new command or option is completed without anyone editing a script. Written
here rather than taken from a library: shtab has no fish, and argcomplete runs Python on every Tab
press and needs a hook in the user's shell set up before it works; what scholarpage needs, words
and folder names, is a few dozen lines of each shell's own completion language.

Values are completed by what they are: an option or argument with `choices` offers them; one of
type `Path` offers folders when its metavar ends in DIR or is OUT (`SITE_DIR`, `-o OUT`), else
files; any other value (a URL, a message) offers nothing.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Arg:
    """One option (flags given) or positional argument (no flags) of a command."""

    flags: tuple[str, ...]
    help: str
    takes_value: bool
    kind: str  # "dir", "file", "choice", "text" (no completion) or "none" (a flag)
    choices: tuple[str, ...] = ()
    name: str = ""  # the metavar, shown by zsh
    repeats: bool = False  # a positional taking any number of values


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Arg, ...]
    positionals: tuple[Arg, ...]


@dataclass(frozen=True)
class Spec:
    """What a completion script needs to know about the program."""

    prog: str
    options: tuple[Arg, ...]  # before the command
    commands: tuple[Command, ...]


def _arg(action: argparse.Action) -> Arg:
    takes_value = action.nargs != 0
    name = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    choices = tuple(str(c) for c in action.choices) if action.choices else ()
    if not takes_value:
        kind = "none"
    elif choices:
        kind = "choice"
    elif action.type is Path:
        kind = "dir" if name.upper().endswith("DIR") or name.upper() == "OUT" else "file"
    else:
        kind = "text"
    return Arg(
        flags=tuple(action.option_strings),
        help=" ".join((action.help or "").split()),
        takes_value=takes_value,
        kind=kind,
        choices=choices,
        name=name,
        repeats=action.nargs in ("*", "+", argparse.REMAINDER),
    )


def _args(parser: argparse.ArgumentParser) -> tuple[tuple[Arg, ...], tuple[Arg, ...]]:
    options: list[Arg] = []
    positionals: list[Arg] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        (options if action.option_strings else positionals).append(_arg(action))
    return tuple(options), tuple(positionals)


def parser_spec(parser: argparse.ArgumentParser) -> Spec:
    """Commands (in the order `--help` lists them), options and arguments of `parser`."""
    options, _ = _args(parser)
    commands: list[Command] = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            sub_options, sub_positionals = _args(sub)
            commands.append(Command(name, helps.get(name, ""), sub_options, sub_positionals))
    return Spec(parser.prog, options, tuple(commands))


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for `shell` (one of SHELLS)."""
    spec = parser_spec(parser)
    if shell == "bash":
        return _bash(spec)
    if shell == "zsh":
        return _zsh(spec)
    if shell == "fish":
        return _fish(spec)
    raise ValueError(f"no completion for shell {shell!r}")


# --- bash ----------------------------------------------------------------------------------------


def _bash_words(words: list[str]) -> str:
    """A list of words for a bash single-quoted string (no word here holds a quote)."""
    return "'" + " ".join(words).replace("'", "'\\''") + "'"


def _bash_complete(arg: Arg, word: str) -> str:
    """bash statements filling COMPREPLY with the values of `arg` that start with `word`."""
    if arg.kind == "dir":
        return f'compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "{word}")'
    if arg.kind == "file":
        return f'compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "{word}")'
    if arg.kind == "choice":
        words = _bash_words(list(arg.choices))
        return f'mapfile -t COMPREPLY < <(compgen -W {words} -- "{word}")'
    return "COMPREPLY=()"


def _bash(spec: Spec) -> str:
    fn = "_" + spec.prog.replace("-", "_")
    scopes = [("", spec.options, ())] + [(c.name, c.options, c.positionals) for c in spec.commands]
    value_cases: list[str] = []  # "$cmd:$option" -> completion of its value
    for scope, options, _ in scopes:
        for option in options:
            if option.takes_value:
                pattern = "|".join(f'"{scope}:{flag}"' for flag in option.flags)
                value_cases.append(
                    f"        {pattern}) {_bash_complete(option, '$value')}; return ;;"
                )
    option_cases = []
    positional_cases = []
    for scope, options, positionals in scopes:
        flags = [flag for option in options for flag in option.flags]
        option_cases.append(f'        "{scope}") words={_bash_words(flags)} ;;')
        for i, positional in enumerate(positionals):
            last = i == len(positionals) - 1 and positional.repeats
            test = f"$npos -ge {i}" if last else f"$npos -eq {i}"
            values = _bash_complete(positional, "$cur")
            positional_cases.append(
                f'    if [[ $cmd == "{scope}" && {test} ]]; then {values}; return; fi'
            )
    commands = _bash_words([c.name for c in spec.commands])
    takes_value = "|".join(
        f'"{scope}:{flag}"'
        for scope, options, _ in scopes
        for option in options
        if option.takes_value
        for flag in option.flags
    )
    return f"""# bash completion for {spec.prog}, made by `{spec.prog} completion bash`.
# Now:   source <({spec.prog} completion bash)
# Always: {spec.prog} completion bash > ~/.local/share/bash-completion/completions/{spec.prog}
{fn}() {{
    # the words up to the cursor, with `--option=value` kept as one word
    local -a line=()
    local i w glue=0
    for ((i = 0; i <= COMP_CWORD && i < ${{#COMP_WORDS[@]}}; i++)); do
        w=${{COMP_WORDS[i]}}
        if ((glue)); then line[-1]+=$w; glue=0; continue; fi
        if [[ $w == "=" && ${{#line[@]}} -gt 1 && ${{line[-1]}} == --* ]] &&
            [[ ${{line[-1]}} != *=* ]]; then
            line[-1]+="="; glue=1; continue
        fi
        line+=("$w")
    done
    ((COMP_CWORD >= ${{#COMP_WORDS[@]}})) && line+=("")
    local cur=${{line[-1]}} cmd="" npos=0 option="" value=""
    # the command and the number of arguments before the cursor; option values are skipped
    for ((i = 1; i < ${{#line[@]}} - 1; i++)); do
        w=${{line[i]}}
        if [[ -n $option ]]; then option=""; continue; fi
        case $w in
            --*=*) ;;
            -*) case "$cmd:$w" in {takes_value or '""'}) option=$w ;; esac ;;
            *) if [[ -z $cmd ]]; then cmd=$w; else npos=$((npos + 1)); fi ;;
        esac
    done
    if [[ -n $option ]]; then
        value=$cur
    elif [[ $cur == --*=* ]]; then
        option=${{cur%%=*}} value=${{cur#*=}}
    fi
    if [[ -n $option ]]; then
        case "$cmd:$option" in
{chr(10).join(value_cases)}
        esac
        COMPREPLY=()
        return
    fi
    if [[ $cur == -* ]]; then
        local words=""
        case $cmd in
{chr(10).join(option_cases)}
        esac
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
        return
    fi
    if [[ -z $cmd ]]; then
        mapfile -t COMPREPLY < <(compgen -W {commands} -- "$cur")
        return
    fi
{chr(10).join(positional_cases)}
    COMPREPLY=()
}}
complete -F {fn} {spec.prog}
"""


# --- zsh -----------------------------------------------------------------------------------------


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _zsh_action(arg: Arg) -> str:
    if arg.kind == "dir":
        return "_files -/"
    if arg.kind == "file":
        return "_files"
    if arg.kind == "choice":  # a word list: blanks, parentheses and quotes escaped
        return "(" + " ".join(re.sub(r"([\s()\\:'\"`$])", r"\\\1", c) for c in arg.choices) + ")"
    return " "


def _zsh_specs(options: tuple[Arg, ...], positionals: tuple[Arg, ...]) -> list[str]:
    specs: list[str] = []
    for option in options:
        help_text = option.help.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        exclusive = "(" + " ".join(option.flags) + ")" if len(option.flags) > 1 else ""
        if any(flag in ("-h", "--help", "--version") for flag in option.flags):
            exclusive = "(- *)"  # help and version end the command line
        for flag in option.flags:
            if option.takes_value:
                name = option.name.replace(":", "\\:")
                form = f"{flag}=" if flag.startswith("--") else flag
                spec = f"{exclusive}{form}[{help_text}]:{name}:{_zsh_action(option)}"
            else:
                spec = f"{exclusive}{flag}[{help_text}]"
            specs.append(_zsh_quote(spec))
    for i, positional in enumerate(positionals):
        name = positional.name.replace(":", "\\:")
        where = "*" if positional.repeats else str(i + 1)
        specs.append(_zsh_quote(f"{where}:{name}:{_zsh_action(positional)}"))
    return specs


def _zsh(spec: Spec) -> str:
    fn = "_" + spec.prog.replace("-", "_")
    items = [
        _zsh_quote(c.name.replace(":", "\\:") + ":" + " ".join(c.help.split()))
        for c in spec.commands
    ]
    top = " \\\n        ".join(
        [*_zsh_specs(spec.options, ()), "'1: :->command'", "'*:: :->argument'"]
    )
    cases = []
    for command in spec.commands:
        specs = " \\\n                ".join(_zsh_specs(command.options, command.positionals))
        cases.append(
            f"            {command.name}) _arguments -s \\\n                {specs} && ret=0 ;;"
        )
    return f"""#compdef {spec.prog}
# zsh completion for {spec.prog}, made by `{spec.prog} completion zsh` from its options.
# Now:    source <({spec.prog} completion zsh)     (after compinit)
# Always: {spec.prog} completion zsh > ~/.zfunc/_{spec.prog}
#         (and fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc)
{fn}() {{
    local curcontext=$curcontext state line ret=1
    typeset -A opt_args
    _arguments -C -s \\
        {top} && ret=0
    case $state in
        command)
            local -a commands=(
                {chr(10).join("                " + item for item in items).lstrip()}
            )
            _describe -V -t commands '{spec.prog} command' commands && ret=0 ;;
        argument)
            curcontext=${{curcontext%:*:*}}:{spec.prog}-$words[1]:
            case $words[1] in
{chr(10).join(cases)}
            esac ;;
    esac
    return ret
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    {fn} "$@"
else
    compdef {fn} {spec.prog}
fi
"""


# --- fish ----------------------------------------------------------------------------------------


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_values(arg: Arg) -> str:
    if arg.kind == "dir":
        return "-x -a '(__fish_complete_directories (commandline -ct))'"
    if arg.kind == "file":
        return "-r -F"
    if arg.kind == "choice":
        return "-x -a " + _fish_quote(" ".join(arg.choices))
    return "-x"


def _fish_option(prog: str, condition: str, option: Arg) -> str:
    parts = [f"complete -c {prog}"]
    if condition:
        parts.append(f"-n {_fish_quote(condition)}")
    for flag in option.flags:
        if flag.startswith("--"):
            parts.append(f"-l {flag[2:]}")
        elif len(flag) == 2:
            parts.append(f"-s {flag[1]}")
        else:
            parts.append(f"-o {flag[1:]}")
    if option.takes_value:
        parts.append(_fish_values(option))
    parts.append(f"-d {_fish_quote(option.help)}")
    return " ".join(parts)


def _fish(spec: Spec) -> str:
    prog = spec.prog
    lines = [
        f"# fish completion for {prog}, made by `{prog} completion fish` from its options.",
        f"# Now:    {prog} completion fish | source",
        f"# Always: {prog} completion fish > ~/.config/fish/completions/{prog}.fish",
        f"complete -c {prog} -f",
    ]
    # -k keeps the order; fish shows the last one added first, so the commands go in reverse
    for command in reversed(spec.commands):
        lines.append(
            f"complete -c {prog} -n '__fish_use_subcommand' -k -a {command.name} "
            f"-d {_fish_quote(command.help)}"
        )
    lines += [_fish_option(prog, "__fish_use_subcommand", o) for o in spec.options]
    for command in spec.commands:
        seen = f"__fish_seen_subcommand_from {command.name}"
        lines += [_fish_option(prog, seen, o) for o in command.options]
        for positional in command.positionals:
            values = _fish_values(positional).replace("-x ", "").replace("-r ", "")
            if positional.kind in ("dir", "file", "choice"):
                lines.append(f"complete -c {prog} -n {_fish_quote(seen)} {values}")
    return "\n".join(lines) + "\n"
