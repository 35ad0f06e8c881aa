import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/access.js';
import { ApiProblems } from '../http/api-problems.decorator.js';
import { SingleStatement } from '../transaction/single-statement.js';
import { Errors } from './app-error.js';
import { PROBLEM_TYPES, PROBLEMS_PATH } from './problem-types.js';
import { ProblemTypeDto, ProblemTypeListDto } from './problem-type.dto.js';

const BY_CODE = new Map(PROBLEM_TYPES.map((p) => [p.code, p]));

/** The error catalogue that every problem's `type` points at; static, public, and outside the unit of work. */
@ApiTags('errors')
@Controller(PROBLEMS_PATH.slice(1))
export class ProblemsController {
  @Get()
  @Public()
  @SingleStatement()
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({ operationId: 'listProblemTypes', summary: 'Every error code: its HTTP status, title and meaning' })
  @ApiOkResponse({ type: ProblemTypeListDto })
  list(): ProblemTypeListDto {
    return { data: [...PROBLEM_TYPES] };
  }

  @Get(':code')
  @Public()
  @SingleStatement()
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({ operationId: 'getProblemType', summary: "One error code (a problem's `type` URI)" })
  @ApiOkResponse({ type: ProblemTypeDto })
  @ApiProblems(400, 404)
  get(@Param('code') code: string): ProblemTypeDto {
    const type = BY_CODE.get(code);
    if (!type) throw Errors.notFound('Error code');
    return type;
  }
}
