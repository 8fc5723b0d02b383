/**
 * The built-in plugins, each behind its own {@link dev.gatekit.api.plugin.PluginProvider} and found
 * with {@link java.util.ServiceLoader} exactly like third-party plugins: {@code basic_secrets_filter},
 * {@code basic_pii_filter}, {@code tool_manager} and {@code audit_jsonl}. Only the providers are
 * public, and {@link dev.gatekit.proxy.plugins.builtin.AuditLogVerifier}, which checks what {@code
 * audit_jsonl} wrote; configure the plugins through the providers.
 */
@NullMarked
package dev.gatekit.proxy.plugins.builtin;

import org.jspecify.annotations.NullMarked;
