// Jest links CommonJS packages (@nestjs/throttler, passport strategies) before evaluating the ES
// modules they require; evaluating Nest's ESM entry points first avoids its "require() in a cycle" error.
import 'reflect-metadata';
import '@nestjs/common';
import '@nestjs/core';
