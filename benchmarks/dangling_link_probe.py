"""A benchmark-only plugin: what `find -xtype l` does, as one check on the shared walk."""

from ytm_doctor import check


@check("BENCH001", "dangling-link-probe", root=("workspace", "vault"), kinds=("link",))
def dangling_link_probe(entry, ctx):
    """every dangling symlink"""
    if entry.target_state() != "ok":
        yield dangling_link_probe.rule.finding(
            "dangling", root=entry.root, path=entry.rel, abs_path=entry.path
        )
