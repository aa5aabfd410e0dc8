"""Method handlers built from the service descriptor, so every method gets the lenient
parser and the error mapping without restating the generated registration code."""

from __future__ import annotations

import grpc
from google.protobuf import message_factory

from ticketminer.api.deserialize import lenient_parser
from ticketminer.api.errors import guarded
from ticketminer.v1 import ticketminer_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["TicketMiner"]
SERVICE_NAME = SERVICE.full_name


def _message_class(descriptor):
    return message_factory.GetMessageClass(descriptor)


def ticketminer_handler(servicer) -> grpc.GenericRpcHandler:
    handlers = {}
    for method in SERVICE.methods:
        behavior = guarded(getattr(servicer, method.name))
        parse = lenient_parser(_message_class(method.input_type))
        serialize = _message_class(method.output_type).SerializeToString
        if method.client_streaming and not method.server_streaming:
            make = grpc.stream_unary_rpc_method_handler
        elif not method.client_streaming and not method.server_streaming:
            make = grpc.unary_unary_rpc_method_handler
        else:
            raise NotImplementedError(f"{method.name}: no handler kind for server streaming")
        handlers[method.name] = make(
            behavior, request_deserializer=parse, response_serializer=serialize
        )
    return grpc.method_handlers_generic_handler(SERVICE_NAME, handlers)
