"""Serves moto's application for AccessHive's local stack, with the moto behaviours
that differ from DynamoDB's documented ones corrected.

Usage: python3 launcher.py HOST PORT

What it corrects (moto 5.x), each for the documented DynamoDB behaviour:

1. Transactions. moto makes TransactWriteItems atomic by deep-copying every table the
   transaction touches and putting the copy back when it fails. That (a) keeps the
   stream records of writes that were rolled back, (b) replaces the table's stream
   shard, so a reader's iterators see nothing more, and (c) costs time in proportion to
   the table's size (5.5 s for a two-item transaction at 30,000 items). Here each
   transaction keeps a journal of the items it touches (one copy per item) and restores
   only those; its stream records are published only when it commits.
2. Stream records. DynamoDB writes one record per item change, and none for a
   PutItem or UpdateItem that changes nothing. moto writes two for an UpdateItem that
   creates its item (an INSERT of the bare key, then a MODIFY) and one for every no-op
   write. Here the changes of one operation are coalesced per item (first old image,
   last new image) and a change that leaves the item as it was writes no record.
3. Single writes are atomic too: an UpdateItem whose update fails half way (an
   operand of the wrong type, an item over 400 KB) leaves the item as it was.
4. Stream retention and iterators. DynamoDB keeps stream records for 24 hours and a
   shard iterator is valid for 15 minutes. moto keeps both forever, and creates a new
   iterator for every GetRecords, so a poller leaks memory by the hour. Here records
   older than 24 hours are trimmed and iterators older than 15 minutes expire
   (ExpiredIteratorException, as DynamoDB Streams answers).
5. One request at a time. moto_server's threaded server lets two transactions
   interleave; served one at a time, every request is isolated, as DynamoDB's
   transactions are. A connection left idle must not hold the only thread, so each
   connection has a 1 s read timeout (Go's HTTP transport parks spare connections).
"""

import copy
import os
import sys
import time
from datetime import datetime, timedelta, timezone

from werkzeug.serving import WSGIRequestHandler, run_simple

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodbstreams import models as streams_models
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

STREAM_RETENTION = timedelta(hours=24)
ITERATOR_LIFETIME_SECONDS = 15 * 60


class _Frame:
    """The items one write operation touched: a copy of each as it was (to restore
    on failure) and its first old and last new image (to publish on commit)."""

    def __init__(self):
        self.journal = []  # (table, hash_key, range_key, copy or None), in order
        self.changes = {}  # (id(shard), item key) -> [shard, old, new]


_frames = []


def _item_key(item):
    return (item.hash_key, item.range_key)


def _publish(shard, old, new):
    if old is None and new is None:
        return
    if old is not None and new is not None and old.to_json() == new.to_json():
        return  # DynamoDB writes no record for a write that changes nothing
    _original_add(shard, old, new)
    _trim(shard)


def _trim(shard):
    """Drops records older than the stream's 24-hour retention."""
    limit = datetime.now(timezone.utc) - STREAM_RETENTION
    n = 0
    for rec in shard.items:
        created = rec.record["dynamodb"]["ApproximateCreationDateTime"]
        if isinstance(created, (int, float)):
            created = datetime.fromtimestamp(created, timezone.utc)
        elif created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        if created >= limit:
            break
        n += 1
    if n:
        del shard.items[:n]
        shard.starting_sequence_number += n


_original_add = StreamShard.add


def _add(self, old, new):
    if not _frames:
        _publish(self, old, new)
        return
    rec = old if old is not None else new
    key = (id(self), _item_key(rec))
    change = _frames[-1].changes.get(key)
    if change is None:
        _frames[-1].changes[key] = [self, old, new]
    else:
        change[2] = new


StreamShard.add = _add


def _snapshot(table, hash_key, range_key):
    """Records an item as it is before a write touches it."""
    if not _frames:
        return
    current = table.get_item(hash_key, range_key)
    _frames[-1].journal.append((table, hash_key, range_key, copy.deepcopy(current)))


def _restore(journal):
    for table, hash_key, range_key, saved in reversed(journal):
        if range_key is not None:
            bucket = table.items[hash_key]
            if saved is None:
                bucket.pop(range_key, None)
                if not bucket:
                    table.items.pop(hash_key, None)
            else:
                bucket[range_key] = saved
        elif saved is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = saved


def _atomic(fn):
    """Runs a write so that it either happens whole, its stream records published
    when it ends, or not at all, leaving the items and the stream as they were."""

    def run(self, *args, **kwargs):
        frame = _Frame()
        _frames.append(frame)
        try:
            result = fn(self, *args, **kwargs)
        except BaseException:
            _frames.pop()
            _restore(frame.journal)
            raise
        _frames.pop()
        if _frames:  # part of a larger write: hand the changes up
            parent = _frames[-1]
            parent.journal.extend(frame.journal)
            for key, (shard, old, new) in frame.changes.items():
                change = parent.changes.get(key)
                if change is None:
                    parent.changes[key] = [shard, old, new]
                else:
                    change[2] = new
        else:
            for shard, old, new in frame.changes.values():
                _publish(shard, old, new)
        return result

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def _key_of(backend, table, op_type, op):
    if op_type == "Put":
        attrs = op["Item"]
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
        return key
    return op["Key"]


_original_put_item = DynamoDBBackend.put_item
_original_update_item = DynamoDBBackend.update_item
_original_delete_item = DynamoDBBackend.delete_item


def _journaled(original, key_of):
    def run(self, table_name, *args, **kwargs):
        try:
            table = self.get_table(table_name)
            hash_key, range_key = self.get_keys_value(table, key_of(table, args, kwargs))
        except Exception:
            return original(self, table_name, *args, **kwargs)  # moto reports the error
        _snapshot(table, hash_key, range_key)
        return original(self, table_name, *args, **kwargs)

    return _atomic(run)


def _put_key(table, args, kwargs):
    attrs = args[0] if args else kwargs["item_attrs"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _key_arg(table, args, kwargs):
    return args[0] if args else kwargs["key"]


DynamoDBBackend.put_item = _journaled(_original_put_item, _put_key)
DynamoDBBackend.update_item = _journaled(_original_update_item, _key_arg)
DynamoDBBackend.delete_item = _journaled(_original_delete_item, _key_arg)


@_atomic
def _transact_write_items(self, transact_items):
    """moto's TransactWriteItems without the whole-table copies: the journal of the
    enclosing frame restores exactly the items this transaction touched."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen = set()
    errors = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise MockValidationException("Unsupported transaction operation")
        table_name = op["TableName"]
        table = self.get_table(table_name)
        key = _key_of(self, table, op_type, op)
        unique = (str(table_name), str(dict(sorted(key.items()))))
        if unique in seen:
            raise MultipleTransactionsException()
        seen.add(unique)
        original_item = None
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        condition = op.get("ConditionExpression")
        try:
            current = self.get_item(table_name, key)
            if condition is not None:
                if not get_filter_expression(condition, names, values).expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if op_type == "Put":
                self.put_item(table_name, op["Item"], condition_expression=condition,
                              expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(table_name, key, condition_expression=condition,
                                 expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Update":
                self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                 condition_expression=condition, expression_attribute_names=names,
                                 expression_attribute_values=values)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))
        except Exception as e:  # noqa: BLE001 - reported as the item's cancellation reason
            errors.append((type(e).__name__, str(e), original_item))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)


DynamoDBBackend.transact_write_items = _transact_write_items


# Shard iterators: valid for 15 minutes, then ExpiredIteratorException.
_original_iterator_init = streams_models.ShardIterator.__init__


def _iterator_init(self, *args, **kwargs):
    _original_iterator_init(self, *args, **kwargs)
    self.created = time.monotonic()


streams_models.ShardIterator.__init__ = _iterator_init


def _expire_iterators(backend):
    iterators = backend.shard_iterators
    limit = time.monotonic() - ITERATOR_LIFETIME_SECONDS
    while iterators:
        first = next(iter(iterators))
        if getattr(iterators[first], "created", 0) >= limit:
            break
        del iterators[first]


def _get_records(self, iterator_arn, limit):
    _expire_iterators(self)
    iterator = self.shard_iterators.get(iterator_arn)
    if iterator is None:
        raise JsonRESTError("ExpiredIteratorException", "Iterator expired. The iterator was created more than 15 minutes ago.")
    start = iterator.sequence_number - iterator.stream_shard.starting_sequence_number
    if start < 0:  # the records it pointed at were trimmed
        raise JsonRESTError("TrimmedDataAccessException", "The operation attempted to read past the oldest stream record in a shard.")
    return iterator.get(limit)


_original_get_shard_iterator = streams_models.DynamoDBStreamsBackend.get_shard_iterator


def _get_shard_iterator(self, *args, **kwargs):
    _expire_iterators(self)
    return _original_get_shard_iterator(self, *args, **kwargs)


streams_models.DynamoDBStreamsBackend.get_records = _get_records
streams_models.DynamoDBStreamsBackend.get_shard_iterator = _get_shard_iterator


class _Handler(WSGIRequestHandler):
    timeout = 1


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False,
               processes=1, request_handler=_Handler)


if __name__ == "__main__":
    main()
