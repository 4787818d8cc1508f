"""The Dockerfile reader: stages, ARG scoping, continuations, heredocs, and the user each stage runs as."""

import textwrap

import pytest

from kamalguard.source.dockerfile import instructions, parse


def dockerfile(text: str, **build_args):
    return parse(textwrap.dedent(text).lstrip("\n"), build_args)


def test_multi_stage_user_1000_1000():
    parsed = dockerfile("""
        FROM ruby:3.3-slim AS build
        RUN bundle install
        FROM ruby:3.3-slim
        COPY --from=build /usr/local/bundle /usr/local/bundle
        USER 1000:1000
    """)
    final = parsed.stage()
    assert (final.index, final.user, final.user_line) == (1, "1000:1000", 5)
    assert final.runs_as_root is False
    assert parsed.stages[0].runs_as_root is True  # the build stage set no USER


def test_final_stage_inherits_user_env_and_workdir_from_its_parent_stage():
    parsed = dockerfile("""
        FROM ruby:3.3 AS base
        WORKDIR /rails
        ENV RAILS_ENV=production
        USER rails
        FROM base AS build
        USER root
        RUN make
        FROM base
        WORKDIR app
    """)
    final = parsed.stage()
    assert final.parent.name == "base" and final.base_image == "ruby:3.3"
    assert (final.user, final.workdir, final.env) == ("rails", "/rails/app", {"RAILS_ENV": "production"})
    assert [s.name for s in final.ancestors()] == [None, "base"]


def test_target_selects_a_stage_case_insensitively():
    parsed = dockerfile("""
        FROM alpine AS Base
        FROM base AS app
        USER 0:0
        FROM alpine AS tools
    """)
    assert parsed.stage("APP").user == "0:0" and parsed.stage("APP").runs_as_root is True
    assert parsed.stage("app").parent is parsed.stages[0]
    assert parsed.stage().name == "tools"
    assert parsed.stage("missing") is None


@pytest.mark.parametrize("user, root", [("root", True), ("0", True), ("0:0", True), ("root:staff", True),
                                        ("1000", False), ("1000:1000", False), ("app", False), ("app:root", False)])
def test_runs_as_root(user, root):
    assert dockerfile(f"FROM alpine\nUSER {user}\n").stage().runs_as_root is root


def test_nonroot_base_image_without_user():
    assert dockerfile("FROM gcr.io/distroless/static:nonroot\n").stage().runs_as_root is False
    assert dockerfile("FROM gcr.io/distroless/static\n").stage().runs_as_root is True


def test_arg_in_from_and_arg_scoping():
    parsed = dockerfile("""
        ARG RUBY_VERSION=3.3.6
        ARG APP_USER=rails
        FROM docker.io/library/ruby:$RUBY_VERSION-slim AS base
        USER $APP_USER
        FROM base
        ARG APP_USER
        USER ${APP_USER}
    """)
    base, final = parsed.stages
    assert base.image == "docker.io/library/ruby:3.3.6-slim"
    # a global ARG is not visible in a stage until the stage declares it again
    assert (base.user, base.user_known, base.runs_as_root) == ("", False, None)
    assert (final.user, final.user_known, final.runs_as_root) == ("rails", True, False)


def test_stage_local_arg_ends_with_its_stage():
    parsed = dockerfile("""
        FROM alpine AS one
        ARG UID=1000
        USER $UID
        FROM alpine
        USER $UID
    """)
    assert parsed.stages[0].user == "1000"
    assert parsed.stages[1].user_known is False


def test_build_args_replace_arg_defaults():
    parsed = dockerfile("""
        ARG RUBY_VERSION=3.2
        FROM ruby:$RUBY_VERSION
        ARG UID=1000
        USER $UID
    """, RUBY_VERSION="3.4.1", UID="0")
    final = parsed.stage()
    assert final.image == "ruby:3.4.1" and final.runs_as_root is True


def test_env_wins_over_arg_and_expands_defaults():
    parsed = dockerfile("""
        FROM alpine
        ARG HOME_DIR=/srv
        ENV HOME_DIR=/home/app APP_DIR=${HOME_DIR}/app LEGACY_FORM="x"
        ENV OLD one two
        WORKDIR ${APP_DIR:-/fallback}
    """)
    final = parsed.stage()
    assert final.env == {"HOME_DIR": "/home/app", "APP_DIR": "/srv/app", "LEGACY_FORM": "x", "OLD": "one two"}
    assert final.workdir == "/srv/app"


def test_line_continuations_with_comments_blank_lines_and_trailing_spaces():
    trailing_spaces = "   "
    found = instructions(textwrap.dedent(f"""\
        RUN apt-get update && \\{trailing_spaces}
            # a comment inside the continuation
            apt-get install -y curl \\

            && rm -rf /var/lib/apt/lists
        USER app
    """))
    assert [(i.keyword, i.line, i.end_line) for i in found] == [("RUN", 1, 5), ("USER", 6, 6)]
    assert found[0].args == "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists"


def test_escape_directive():
    found = instructions("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  C:\\\nUSER ContainerUser\n")
    assert [i.keyword for i in found] == ["FROM", "RUN", "USER"]
    assert found[1].args == "dir C:\\"


def test_heredocs_are_bodies_not_instructions():
    parsed = dockerfile("""
        FROM alpine
        RUN <<EOF
        USER root
        echo hi
        EOF
        COPY <<-"CONF" /etc/app.conf
        \tUSER=nobody
        \tCONF
        USER 1000
    """)
    run, copy, user = parsed.stage().instructions
    assert run.heredocs == ["USER root\necho hi"] and copy.heredocs == ["USER=nobody"]
    assert (user.keyword, user.line) == ("USER", 9)
    assert parsed.stage().user == "1000"


def test_shell_left_shift_outside_run_is_not_a_heredoc():
    parsed = dockerfile("""
        FROM alpine
        ENV SHIFT="1<<EOF"
        USER app
    """)
    assert parsed.stage().user == "app"


def test_healthcheck():
    assert dockerfile("FROM alpine\nHEALTHCHECK --interval=5s CMD wget -qO- localhost/up\n").stage().healthcheck \
        == "--interval=5s CMD wget -qO- localhost/up"
    assert dockerfile("FROM alpine AS a\nHEALTHCHECK CMD true\nFROM a\nHEALTHCHECK NONE\n").stage().healthcheck \
        == "NONE"


def test_crlf_and_lowercase_instructions():
    parsed = parse("from alpine as base\r\nuser app\r\nfrom base\r\n")
    assert parsed.stage().parent.name == "base" and parsed.stage().user == "app"


def test_nothing_before_from_but_args_and_comments():
    parsed = dockerfile("""
        # syntax=docker/dockerfile:1
        ARG BASE=alpine:3.20
        FROM --platform=$BUILDPLATFORM $BASE
    """)
    assert parsed.stage().image == "alpine:3.20" and parsed.global_args == {"BASE": "alpine:3.20"}


@pytest.mark.parametrize("text", ["", "# only a comment\n", "RUN echo no FROM\n", "FROM\n", "USER\nFROM alpine\n"])
def test_odd_files_do_not_crash(text):
    parse(text)
