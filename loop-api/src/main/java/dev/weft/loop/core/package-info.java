/**
 * Loop internals that live outside the API package: the timer wheel and the hooks between the loop
 * and the task runtime. Not API.
 */
package dev.weft.loop.core;
