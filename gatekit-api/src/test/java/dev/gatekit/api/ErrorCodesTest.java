package dev.gatekit.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ErrorCodesTest {

  @Test
  @DisplayName("the JSON-RPC standard codes have their specified values")
  void standardCodes() {
    assertThat(ErrorCodes.PARSE_ERROR).isEqualTo(-32700);
    assertThat(ErrorCodes.INVALID_REQUEST).isEqualTo(-32600);
    assertThat(ErrorCodes.METHOD_NOT_FOUND).isEqualTo(-32601);
    assertThat(ErrorCodes.INVALID_PARAMS).isEqualTo(-32602);
    assertThat(ErrorCodes.INTERNAL_ERROR).isEqualTo(-32603);
  }

  @Test
  @DisplayName("the gateway's own codes have their documented values")
  void gatewayCodes() {
    assertThat(ErrorCodes.SECURITY_VIOLATION).isEqualTo(-32000);
    assertThat(ErrorCodes.REQUEST_TIMEOUT).isEqualTo(-32001);
    assertThat(ErrorCodes.OVERLOADED).isEqualTo(-32003);
    assertThat(ErrorCodes.UPSTREAM_UNAVAILABLE).isEqualTo(-32004);
    assertThat(ErrorCodes.AUDITING_FAILURE).isEqualTo(-32005);
  }

  @Test
  @DisplayName("the gateway's own codes lie in the JSON-RPC server-error range -32000..-32099")
  void gatewayCodesInServerRange() {
    for (int code :
        List.of(
            ErrorCodes.SECURITY_VIOLATION,
            ErrorCodes.REQUEST_TIMEOUT,
            ErrorCodes.OVERLOADED,
            ErrorCodes.UPSTREAM_UNAVAILABLE,
            ErrorCodes.AUDITING_FAILURE)) {
      assertThat(code).isBetween(-32099, -32000);
    }
  }

  @Test
  @DisplayName("every code in the table is distinct and has its own name")
  void allCodesDistinctWithOwnNames() throws IllegalAccessException {
    List<Integer> codes = new ArrayList<>();
    for (Field field : ErrorCodes.class.getDeclaredFields()) {
      int modifiers = field.getModifiers();
      if (Modifier.isPublic(modifiers)
          && Modifier.isStatic(modifiers)
          && Modifier.isFinal(modifiers)
          && field.getType() == int.class) {
        codes.add(field.getInt(null));
      }
    }
    assertThat(codes).hasSize(10).doesNotHaveDuplicates();

    Set<String> names = new HashSet<>();
    for (int code : codes) {
      String name = ErrorCodes.nameOf(code);
      assertThat(name).as("name of %d", code).isNotEqualTo("server error");
      names.add(name);
    }
    assertThat(names).hasSize(codes.size());
  }

  @Test
  @DisplayName("nameOf names the table's codes and calls any other code a server error")
  void nameOf() {
    assertThat(ErrorCodes.nameOf(-32700)).isEqualTo("parse error");
    assertThat(ErrorCodes.nameOf(-32600)).isEqualTo("invalid request");
    assertThat(ErrorCodes.nameOf(-32000)).isEqualTo("security violation");
    assertThat(ErrorCodes.nameOf(-32001)).isEqualTo("request timeout");
    assertThat(ErrorCodes.nameOf(-32003)).isEqualTo("overloaded");
    assertThat(ErrorCodes.nameOf(-32004)).isEqualTo("upstream unavailable");
    assertThat(ErrorCodes.nameOf(-32005)).isEqualTo("auditing failure");
    assertThat(ErrorCodes.nameOf(-32002)).isEqualTo("server error");
    assertThat(ErrorCodes.nameOf(42)).isEqualTo("server error");
  }

  @Test
  @DisplayName("TransportClosedException maps to -32004 upstream unavailable")
  void transportClosed() {
    IllegalStateException cause = new IllegalStateException("pipe broken");
    TransportClosedException e = new TransportClosedException("server exited with code 1", cause);

    assertThat(e.errorCode()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE).isEqualTo(-32004);
    assertThat(e.getCause()).isSameAs(cause);
    assertThat(e.toJsonRpcError())
        .isEqualTo(JsonRpcError.of(-32004, "server exited with code 1"));
    assertThat(new TransportClosedException("closed").getCause()).isNull();
  }

  @Test
  @DisplayName("RequestTimeoutException maps to -32001 and names the method and the timeout")
  void requestTimeout() {
    RequestTimeoutException e = new RequestTimeoutException("tools/call", Duration.ofSeconds(2));

    assertThat(e.errorCode()).isEqualTo(ErrorCodes.REQUEST_TIMEOUT).isEqualTo(-32001);
    assertThat(e.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(e.getMessage()).contains("tools/call").contains("2000 ms");
    assertThat(e.toJsonRpcError().code()).isEqualTo(-32001);
  }

  @Test
  @DisplayName("OverloadedException maps to -32003")
  void overloaded() {
    OverloadedException e = new OverloadedException(TransportOptions.defaults().overloadedMessage());

    assertThat(e.errorCode()).isEqualTo(ErrorCodes.OVERLOADED).isEqualTo(-32003);
    assertThat(e.toJsonRpcError().message()).isEqualTo(e.getMessage());
  }

  @Test
  @DisplayName("ProtocolException maps to -32700 for parse errors and -32600 for invalid requests")
  void protocol() {
    ProtocolException parse = ProtocolException.parseError("Parse error: x", null);
    ProtocolException invalid = ProtocolException.invalidRequest("Invalid request: y", RequestId.of(3));

    assertThat(parse.errorCode()).isEqualTo(-32700);
    assertThat(parse.id()).isNull();
    assertThat(parse.isBatch()).isFalse();
    assertThat(parse.toResponse()).isEqualTo(JsonRpcResponse.failure(null, -32700, "Parse error: x"));

    assertThat(invalid.errorCode()).isEqualTo(-32600);
    assertThat(invalid.id()).isEqualTo(RequestId.of(3));
    assertThat(invalid.toResponse())
        .isEqualTo(JsonRpcResponse.failure(RequestId.of(3), -32600, "Invalid request: y"));
  }

  @Test
  @DisplayName("all gateway exceptions are unchecked GatekitExceptions")
  void hierarchy() {
    assertThat(new TransportClosedException("x")).isInstanceOf(GatekitException.class);
    assertThat(new RequestTimeoutException("m", Duration.ofMillis(1)))
        .isInstanceOf(GatekitException.class);
    assertThat(new OverloadedException("x")).isInstanceOf(GatekitException.class);
    assertThat(ProtocolException.parseError("x", null))
        .isInstanceOf(GatekitException.class)
        .isInstanceOf(RuntimeException.class);
  }
}
