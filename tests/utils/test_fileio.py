"""The one JSON reader: errors name the file, duplicate keys are refused."""
import json

import pytest

from mmtrpn.utils.fileio import load_json


def test_reads_an_object(tmp_path):
    path = tmp_path / 'a.json'
    path.write_text(json.dumps(dict(a=1, b=dict(c=[1, 2]))))
    assert load_json(path) == dict(a=1, b=dict(c=[1, 2]))


@pytest.mark.parametrize('text, key', [
    ('{"database": {"v1": {"subset": "test"}, "v1": {"subset": "val"}}}',
     'v1'),
    ('{"results": {}, "results": {"v": []}}', 'results'),
])
def test_duplicate_keys_are_refused_naming_key_and_file(tmp_path, text,
                                                        key):
    # json.load keeps the last of repeated keys: a repeated video would
    # silently replace the first one.
    path = tmp_path / 'dup.json'
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_json(path, 'results file')
    message = str(info.value)
    assert str(path) in message and 'results file' in message
    assert f'duplicate key {key!r}' in message


def test_same_key_in_different_objects_is_fine(tmp_path):
    path = tmp_path / 'ok.json'
    path.write_text('{"v1": {"label": "a"}, "v2": {"label": "b"}}')
    assert load_json(path)['v2'] == dict(label='b')


def test_malformed_and_missing_name_the_file(tmp_path):
    path = tmp_path / 'bad.json'
    path.write_text('{"a": ')
    with pytest.raises(ValueError, match='Malformed JSON'):
        load_json(path)
    with pytest.raises(FileNotFoundError, match='nope.json'):
        load_json(tmp_path / 'nope.json')
    path.write_text('[1, 2]')
    with pytest.raises(ValueError, match='JSON object at the top'):
        load_json(path)


def test_json_keys_and_colons_counts_keys_and_string_colons():
    from mmtrpn.utils.fileio import json_keys_and_colons
    # 4 keys; colons: 'a:b' 1, 'x:' 1 -> 6, as the text's colon count
    text = '{"a:b": 1, "c": {"d": ["x:", 2], "e": null}}'
    assert json_keys_and_colons(json.loads(text)) == text.count(':') == 6


def test_load_json_reports_a_duplicate_key_hidden_from_orjson(tmp_path):
    from mmtrpn.utils.fileio import load_json
    path = tmp_path / 'd.json'
    path.write_text('{"results": {"v1": [], "v1": [1]}}')
    with pytest.raises(ValueError, match="duplicate key 'v1'"):
        load_json(str(path))


def test_an_escaped_colon_cannot_hide_a_repeated_key(tmp_path):
    # The escaped colon adds one to the decoded count and the lost repeat
    # takes one away: the counts agree, so the escape alone sends the file
    # to the exact reader.
    path = tmp_path / 'd.json'
    path.write_text('{"a\\u003ab": 1, "k": 1, "k": 2}')
    with pytest.raises(ValueError, match="duplicate key 'k'"):
        load_json(str(path))
    path.write_text('{"caf\\u00e9": "x\\"y"}')  # other escapes: read
    assert load_json(str(path)) == {'caf\u00e9': 'x"y'}
