from conftest import SEED_SLUG


def test_build_writes_the_seed_article(project, run):
    result = run(project, "build")
    assert result.code == 0, result.err
    assert (project / "output" / "articles" / SEED_SLUG / "index.html").is_file()
